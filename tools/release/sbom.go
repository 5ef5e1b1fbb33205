package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"sort"
)

// cycloneDX returns a CycloneDX 1.5 SBOM (JSON) of the modules compiled
// into bin, read from the binary's own build information, so the SBOM lists
// exactly what shipped. It has no timestamp and a serial number derived
// from its content, so it is as reproducible as the binary.
func cycloneDX(bin, version string) ([]byte, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	type hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	type property struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type component struct {
		Type       string     `json:"type"`
		BOMRef     string     `json:"bom-ref"`
		Name       string     `json:"name"`
		Version    string     `json:"version"`
		PURL       string     `json:"purl"`
		Properties []property `json:"properties,omitempty"`
	}
	var deps []component
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := component{Type: "library", Name: m.Path, Version: m.Version,
			PURL: fmt.Sprintf("pkg:golang/%s@%s", m.Path, m.Version)}
		c.BOMRef = c.PURL
		if m.Sum != "" {
			c.Properties = []property{{Name: "go:module:sum", Value: m.Sum}}
		}
		deps = append(deps, c)
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].PURL < deps[j].PURL })
	var settings []property
	settings = append(settings, property{Name: "go:toolchain", Value: info.GoVersion})
	for _, s := range info.Settings {
		settings = append(settings, property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	main := component{Type: "application", Name: "ward", Version: version,
		PURL: "pkg:golang/" + info.Main.Path + "@" + version, Properties: settings}
	main.BOMRef = main.PURL
	doc := map[string]any{
		"bomFormat":   "CycloneDX",
		"specVersion": "1.5",
		"version":     1,
		"metadata":    map[string]any{"component": main},
		"components":  deps,
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	// A UUID (version 5 style) from the content: the same SBOM, the same serial.
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	doc["serialNumber"] = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	body, err = json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}
