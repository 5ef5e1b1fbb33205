package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/manifest"
)

func TestRefuseEnv(t *testing.T) {
	const src = `version: 1
components:
  api:
    language: go
    env:
      DB_PASSWORD: {from: payments/db, field: password}
      DB_URL: {from: payments/db, field: url}
      JOB_DB_USER: {from: database/creds/app, field: username}
    files:
      tls/key.pem: {from: payments/tls, field: key}
`
	for _, tt := range []struct {
		reload, err, note string
	}{
		{"", "", "ward: note: env vars cannot change in a running process: a new version of payments/db (env DB_PASSWORD, DB_URL) restarts ./api\n"},
		{"    reload: {env: refuse}\n", "--watch: component api reads payments/db (env DB_PASSWORD, DB_URL) through env vars, which cannot change in a running process, and its reload.env is refuse; ./api not started", ""},
	} {
		m, err := manifest.Parse("ward.yaml", []byte(src+tt.reload))
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		g := testGlobals(nil, nil, &stderr)
		err = refuseEnv(g, &runOpts{args: []string{"./api"}}, m.Components["api"])
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
			t.Errorf("reload %q: error %v, want %q", tt.reload, err, tt.err)
		}
		if stderr.String() != tt.note {
			t.Errorf("reload %q: stderr %q, want %q", tt.reload, stderr.String(), tt.note)
		}
	}
}

func TestChangedValues(t *testing.T) {
	oldEnv := []manifest.EnvValue{{Name: "A", Value: []byte("1")}, {Name: "B", Value: []byte("2")}}
	newEnv := []manifest.EnvValue{{Name: "A", Value: []byte("1")}, {Name: "B", Value: []byte("3")}, {Name: "C", Value: []byte("4")}}
	if got := changedEnv(oldEnv, newEnv); !slices.Equal(got, []string{"B", "C"}) {
		t.Errorf("changedEnv = %v, want [B C]", got)
	}
	oldFiles := []manifest.FileValue{{Path: "a", Value: []byte("1")}, {Path: "b", Value: []byte("2")}}
	newFiles := []manifest.FileValue{{Path: "a", Value: []byte("9")}, {Path: "b", Value: []byte("2")}}
	if got := filePaths(changedFiles(oldFiles, newFiles)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("changedFiles = %v, want [a]", got)
	}
}

func TestIsGone(t *testing.T) {
	for _, tt := range []struct {
		err  error
		also []int
		want bool
	}{
		{&client.ResponseError{StatusCode: http.StatusNotFound}, nil, true},
		{&client.ResponseError{StatusCode: http.StatusGone, Errors: []string{"retired"}}, nil, true},
		{&client.ResponseError{StatusCode: http.StatusBadRequest}, nil, false},
		{&client.ResponseError{StatusCode: http.StatusBadRequest}, []int{http.StatusBadRequest}, true},
		{&client.ResponseError{StatusCode: http.StatusForbidden}, nil, false},
		{fmt.Errorf("wrapped: %w", &client.ResponseError{StatusCode: http.StatusGone}), nil, true},
		{&client.ConnectionError{Address: "http://127.0.0.1:1", Err: errors.New("refused")}, nil, false},
	} {
		if got := isGone(tt.err, tt.also...); got != tt.want {
			t.Errorf("isGone(%v, %v) = %v, want %v", tt.err, tt.also, got, tt.want)
		}
	}
	if got := statusOf(&client.ResponseError{StatusCode: http.StatusGone, Errors: []string{"retired by alice"}}); got != "410 retired by alice" {
		t.Errorf("statusOf = %q", got)
	}
}

func TestWatchIntervalFloor(t *testing.T) {
	for _, tt := range []struct {
		d  time.Duration
		ok bool
	}{{time.Second, true}, {30 * time.Second, true}, {999 * time.Millisecond, false}, {0, false}} {
		err := (&runWatchOpts{on: true, interval: tt.d}).check()
		if (err == nil) != tt.ok || err != nil && !strings.Contains(err.Error(), "below the minimum of 1s") {
			t.Errorf("--watch-interval %v: %v", tt.d, err)
		}
	}
	if err := (&runWatchOpts{interval: 0}).check(); err != nil {
		t.Errorf("without --watch the interval is not checked: %v", err)
	}
}
