// Package loadgen drives the closed-loop load of ward's benchmark programs:
// a number of clients, each calling one operation back to back until the
// time is up, with every call's latency recorded.
package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Result is one run: the latencies of the calls that finished in time,
// sorted, how many of them failed, and the run's wall time.
type Result struct {
	Lat    []time.Duration
	Errors int
	Wall   time.Duration
}

// Run calls op from clients goroutines for d. op gets the client's number
// and its call count; a call still running when d ends is not counted.
func Run(clients int, d time.Duration, op func(ctx context.Context, client, call int) error) *Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	res := &Result{}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs := 0
			for call := 0; ctx.Err() == nil; call++ {
				t0 := time.Now()
				err := op(ctx, c, call)
				if ctx.Err() != nil {
					break
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
				}
			}
			mu.Lock()
			res.Lat = append(res.Lat, lat...)
			res.Errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	slices.Sort(res.Lat)
	return res
}

// Rate is calls per second.
func (r *Result) Rate() float64 { return float64(len(r.Lat)) / r.Wall.Seconds() }

// Percentile is the latency below which fraction p of the calls finished.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	return r.Lat[min(int(p*float64(len(r.Lat))), len(r.Lat)-1)]
}

// Ms formats a latency in milliseconds, as the programs print them.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// StatusError is a call that got an HTTP status other than 200.
func StatusError(status int, err error) error {
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("HTTP %d", status)
	}
	return nil
}
