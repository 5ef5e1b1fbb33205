// Command wardscan runs ward's scanner library the way "ward scan --format
// json PATH..." does, for benchmarking while cmd/ward cannot be built on its
// own. Output and exit codes are those of ward scan.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/report"
)

func main() {
	format := flag.String("format", "json", "text, json or sarif")
	jobs := flag.Int("jobs", 0, "files at once")
	flag.Parse()
	s, err := scan.New(scan.Config{Jobs: *jobs})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardscan:", err)
		os.Exit(2)
	}
	res, err := s.Scan(context.Background(), flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardscan:", err)
		os.Exit(2)
	}
	if err := report.Write(os.Stdout, report.Format(*format), res, report.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "wardscan:", err)
		os.Exit(2)
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(os.Stderr, "wardscan: %s: %v\n", sk.Where(), sk.Err)
	}
	if len(res.Findings) > 0 {
		os.Exit(1)
	}
}
