package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"

	"github.com/wardhq/ward/internal/scan"
)

// The SARIF 2.1.0 subset ward writes. Columns are counted in bytes, which
// for ASCII text (nearly all credentials and the text around them) equals
// the unicodeCodePoints the run declares.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string    `json:"id"`
	ShortDescription sarifText `json:"shortDescription"`
	Help             sarifText `json:"help"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"` // exclusive in SARIF
}

func artifactURI(file, member string) string {
	p := filepath.ToSlash(file)
	if member != "" {
		p += "!" + member
	}
	return (&url.URL{Path: p}).String()
}

func writeSARIF(w io.Writer, fs []scan.Finding, skipped []scan.Skipped, o Options) error {
	rs := o.Rules
	if rs == nil {
		var err error
		if rs, err = scan.DefaultRules(); err != nil {
			return err
		}
	}
	run := sarifRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: "ward", InformationURI: "https://github.com/wardhq/ward", Version: o.Version}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	index := map[string]int{}
	addRule := func(id, desc, help string) int {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id, ShortDescription: sarifText{desc}, Help: sarifText{help}})
		return index[id]
	}
	for _, r := range rs.Rules() {
		addRule(r.ID, r.Description, r.Remediation)
	}
	for _, f := range fs {
		msg := f.Description
		if f.Known != nil {
			msg = fmt.Sprintf("ward secret %s %s version %d", f.Known.Path, f.Known.Field, f.Known.Version)
		}
		if f.Encoding != "" {
			msg += " (" + f.Encoding + "-encoded)"
		}
		res := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: addRule(f.Rule, f.Description, f.Remediation),
			Level:     "error",
			Message:   sarifText{msg + ". Fix: " + f.Remediation},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: artifactURI(f.File, f.Member)},
				Region:           &sarifRegion{StartLine: f.StartLine, StartColumn: f.StartColumn, EndLine: f.EndLine, EndColumn: f.EndColumn + 1},
			}}},
			PartialFingerprints: map[string]string{"wardFingerprint/v1": f.Fingerprint},
		}
		if f.Allowed {
			res.Suppressions = []sarifSuppress{{Kind: "inSource", Justification: "ward:allow on the line"}}
		}
		run.Results = append(run.Results, res)
	}
	inv := sarifInvocation{ExecutionSuccessful: true, Notifications: []sarifNotification{}}
	for _, s := range skipped {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:     "warning",
			Message:   sarifText{"not scanned in full: " + s.Err.Error()},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(s.File, s.Member)}}}},
		})
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
