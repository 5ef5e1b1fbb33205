package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/metrics"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/vault"
	"github.com/wardhq/ward/internal/vault/vaulttest"
)

// BenchmarkKVReadDetectors measures audited reads over HTTP with the live
// detectors off and on, both with metrics as ward server keeps them; the
// sub-benchmarks alternate with -count, so the pair shares the machine's
// load. cpu-ns/op (client, server and detectors) is steadier than wall
// time on a shared machine:
//
//	go test -run '^$' -bench KVReadDetectors -count 5 -cpu 2 ./internal/server
func BenchmarkKVReadDetectors(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "ward.db"), bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			m := metrics.New(metrics.Options{})
			vcfg := vault.Config{Storage: db, AuditOnBatch: m.AuditBatch}
			var svc *detect.Service
			aw := &vaultAudit{}
			if on {
				svc = detect.NewService(detect.ServiceConfig{Config: detect.DefaultConfig(), Audit: aw,
					OnAlert: func(a detect.Alert) { m.Alert(a.Detector) }})
				ctx, cancel := context.WithCancel(context.Background())
				b.Cleanup(cancel)
				svc.Start(ctx)
				vcfg.Detect, vcfg.AuditOnEntries = svc, svc.OfferEntries
			}
			tv := vaulttest.New(b, vcfg, "staging")
			aw.v.Store(tv.Vault)
			srv := httptest.NewServer(New(Config{Vault: tv.Vault, Metrics: m, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}))
			b.Cleanup(srv.Close)
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			for i := 0; i < 100; i++ {
				benchDo(b, c, "POST", fmt.Sprintf("%s/v1/staging/data/bench/k%d", srv.URL, i), tv.Root, `{"data":{"user":"svc","password":"0123456789abcdef0123456789abcdef","port":5432}}`)
			}
			b.SetParallelism(8)
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					benchDo(b, c, "GET", fmt.Sprintf("%s/v1/staging/data/bench/k%d", srv.URL, i%100), tv.Root, "")
					i++
				}
			})
			if svc != nil {
				svc.Flush(context.Background()) // the detectors' work counts
				if d := svc.Stats().Dropped; d > 0 {
					b.Logf("%d lines dropped", d)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
