// Package report writes the findings of a ward scan as text for people,
// JSON for tools and SARIF 2.1.0 for code-scanning services:
//
//	err := report.Write(w, report.JSON, res, report.Options{})
//
// No format ever carries a secret or any part of one: a finding is named
// by its place, its rule and its keyed fingerprint.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/wardhq/ward/internal/scan"
)

// Format is an output format.
type Format string

const (
	Text  Format = "text"
	JSON  Format = "json"
	SARIF Format = "sarif"
)

// Formats lists the formats Write accepts.
var Formats = []Format{Text, JSON, SARIF}

// Options tune a report.
type Options struct {
	ShowAllowed bool // include findings marked ward:allow (flagged "allowed")
	Version     string
	Rules       *scan.RuleSet // rule descriptions for SARIF; nil: the embedded set
}

// Write writes res in format f.
func Write(w io.Writer, f Format, res *scan.Result, o Options) error {
	fs := Visible(res.Findings, o.ShowAllowed)
	switch f {
	case Text:
		return writeText(w, fs, res.Skipped)
	case JSON:
		return writeJSON(w, fs)
	case SARIF:
		return writeSARIF(w, fs, res.Skipped, o)
	}
	return fmt.Errorf("unknown report format %q (want text, json or sarif)", f)
}

// Visible returns the findings a report shows: those not marked ward:allow,
// and those too when showAllowed.
func Visible(fs []scan.Finding, showAllowed bool) []scan.Finding {
	out := make([]scan.Finding, 0, len(fs))
	for _, f := range fs {
		if !f.Allowed || showAllowed {
			out = append(out, f)
		}
	}
	return out
}

func writeJSON(w io.Writer, fs []scan.Finding) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(fs)
}

func writeText(w io.Writer, fs []scan.Finding, skipped []scan.Skipped) error {
	for _, f := range fs {
		how := f.Description
		if f.Encoding != "" {
			how += " (" + f.Encoding + "-encoded)"
		}
		if f.Known != nil {
			how = fmt.Sprintf("ward secret %s", f.Known.Path)
			if f.Known.Field != "" {
				how += " field " + f.Known.Field
			}
			how += fmt.Sprintf(" version %d", f.Known.Version)
			if f.Encoding != "" {
				how += " (" + f.Encoding + "-encoded)"
			}
		}
		allowed := ""
		if f.Allowed {
			allowed = " [allowed by ward:allow]"
		}
		if _, err := fmt.Fprintf(w, "%s:%d:%d: %s: %s%s\n  fingerprint %s\n  fix: %s\n",
			f.Where(), f.StartLine, f.StartColumn, f.Rule, how, allowed, f.Fingerprint, f.Remediation); err != nil {
			return err
		}
	}
	for _, s := range skipped {
		if _, err := fmt.Fprintf(w, "%s: not scanned in full: %v\n", s.Where(), s.Err); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d finding(s), %d item(s) not scanned in full\n", len(fs), len(skipped))
	return err
}
