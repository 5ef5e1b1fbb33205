//go:build !unix

package mask

import "time"

// cpuTime is not measured here; benchmarks then report only MB/s.
func cpuTime() time.Duration { return 0 }
