package plan

import (
	"path"
	"regexp"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/detect"
	"go.yaml.in/yaml/v3"
)

// AlertsFile holds the thresholds of the detectors that watch access
// (package detect). Every field is optional and takes ward's default; a
// detector left out keeps its defaults, and `enabled: false` turns one off:
//
//	learn_for: 7d                # an identity's baseline is learned this long first
//	dedupe_for: 24h
//	rate_limit: {alerts: 10, per: 1h}
//	detectors:
//	  new_ci_context: {group_refs: [refs/pull/*, refs/tags/*]}
//	  denial_burst: {denials: 10, within: 1m}
//	  enumeration: {distinct_paths: 40, lists: 30, within: 5m}
//	  read_volume: {factor: 5, min_reads: 200, window: 1h}
//	  unusual_hour: {min_active_hours: 8, tolerance_hours: 2, watch: [user, token], except: [user:oncall-*]}
//	  token_addresses: {prefix_v4: 32, prefix_v6: 64}
//	  sensitive_path: {break_glass: [prod/break-glass/*], retired: [prod/legacy/*]}
//	  first_read: {enabled: false}
const AlertsFile = "alerts.yaml"

// Alerts is a directory's alerts.yaml: the detectors' thresholds, with the
// line of each field set, for messages.
type Alerts struct {
	Config detect.Config  `json:"config"`
	Lines  map[string]int `json:"lines,omitempty"` // field path (denial_burst.denials) -> line
	Source Source         `json:"source,omitzero"`
}

var (
	alertsFields   = []string{"learn_for", "dedupe_for", "rate_limit", "detectors"}
	rateFields     = []string{"alerts", "per"}
	detectorFields = map[string][]string{
		detect.DetFirstRead:      {"enabled"},
		detect.DetNewCIContext:   {"enabled", "group_refs"},
		detect.DetCrossEnv:       {"enabled"},
		detect.DetDenialBurst:    {"enabled", "denials", "within"},
		detect.DetEnumeration:    {"enabled", "distinct_paths", "lists", "within"},
		detect.DetReadVolume:     {"enabled", "factor", "min_reads", "window"},
		detect.DetUnusualHour:    {"enabled", "min_active_hours", "tolerance_hours", "watch", "except"},
		detect.DetTokenAddresses: {"enabled", "prefix_v4", "prefix_v6"},
		detect.DetSensitivePath:  {"enabled", "retired", "break_glass"},
	}
)

// alerts reads alerts.yaml, if the directory has one.
func (l *loader) alerts() bool {
	src, ok := l.read(AlertsFile)
	if !ok {
		return false
	}
	l.st.Manages.Alerts = true
	if src != nil {
		l.st.Alerts = parseAlerts(src, &l.ps)
		validateAlerts(l.st.Alerts, &l.ps)
	}
	return true
}

// parseAlerts reads alerts.yaml's content onto the default thresholds.
func parseAlerts(src []byte, ps *problems) *Alerts {
	f := &yamlFile{name: AlertsFile, ps: ps}
	a := &Alerts{Config: detect.DefaultConfig(), Lines: map[string]int{}, Source: Source{File: AlertsFile, Line: 1}}
	root := f.document(src, "set the detectors' thresholds, or remove the file to keep ward's defaults")
	if root == nil {
		return a
	}
	r := alertsReader{f: f, a: a}
	c := &a.Config
	for _, top := range f.pairs(root, AlertsFile, alertsFields) {
		switch top.key {
		case "learn_for":
			r.duration(top, "learn_for", &c.LearnFor)
		case "dedupe_for":
			r.duration(top, "dedupe_for", &c.DedupeFor)
		case "rate_limit":
			for _, p := range f.pairs(top.v, "rate_limit", rateFields) {
				switch p.key {
				case "alerts":
					r.int(p, "rate_limit.alerts", &c.RateLimit.Alerts)
				case "per":
					r.duration(p, "rate_limit.per", &c.RateLimit.Per)
				}
			}
		case "detectors":
			r.detectors(top.v)
		}
	}
	return a
}

type alertsReader struct {
	f *yamlFile
	a *Alerts
}

func (r *alertsReader) detectors(n *yaml.Node) {
	c := &r.a.Config
	for _, d := range r.f.pairs(n, "detectors", detect.Detectors) {
		if d.v.Tag == "!!null" {
			continue // "first_read:" alone keeps the defaults
		}
		for _, p := range r.f.pairs(d.v, "detector "+d.key, detectorFields[d.key]) {
			field := d.key + "." + p.key
			switch field {
			case "first_read.enabled":
				r.bool(p, field, &c.FirstRead.Enabled)
			case "new_ci_context.enabled":
				r.bool(p, field, &c.NewCIContext.Enabled)
			case "new_ci_context.group_refs":
				r.list(p, field, &c.NewCIContext.GroupRefs)
			case "cross_environment.enabled":
				r.bool(p, field, &c.CrossEnv.Enabled)
			case "denial_burst.enabled":
				r.bool(p, field, &c.DenialBurst.Enabled)
			case "denial_burst.denials":
				r.int(p, field, &c.DenialBurst.Denials)
			case "denial_burst.within":
				r.duration(p, field, &c.DenialBurst.Within)
			case "enumeration.enabled":
				r.bool(p, field, &c.Enumeration.Enabled)
			case "enumeration.distinct_paths":
				r.int(p, field, &c.Enumeration.DistinctPaths)
			case "enumeration.lists":
				r.int(p, field, &c.Enumeration.Lists)
			case "enumeration.within":
				r.duration(p, field, &c.Enumeration.Within)
			case "read_volume.enabled":
				r.bool(p, field, &c.ReadVolume.Enabled)
			case "read_volume.factor":
				r.float(p, field, &c.ReadVolume.Factor)
			case "read_volume.min_reads":
				r.int(p, field, &c.ReadVolume.MinReads)
			case "read_volume.window":
				r.duration(p, field, &c.ReadVolume.Window)
			case "unusual_hour.enabled":
				r.bool(p, field, &c.UnusualHour.Enabled)
			case "unusual_hour.min_active_hours":
				r.int(p, field, &c.UnusualHour.MinHours)
			case "unusual_hour.tolerance_hours":
				r.int(p, field, &c.UnusualHour.Tolerance)
			case "unusual_hour.watch":
				r.list(p, field, &c.UnusualHour.Watch)
			case "unusual_hour.except":
				r.list(p, field, &c.UnusualHour.Except)
			case "token_addresses.enabled":
				r.bool(p, field, &c.TokenAddresses.Enabled)
			case "token_addresses.prefix_v4":
				r.int(p, field, &c.TokenAddresses.PrefixV4)
			case "token_addresses.prefix_v6":
				r.int(p, field, &c.TokenAddresses.PrefixV6)
			case "sensitive_path.enabled":
				r.bool(p, field, &c.SensitivePath.Enabled)
			case "sensitive_path.retired":
				r.list(p, field, &c.SensitivePath.Retired)
			case "sensitive_path.break_glass":
				r.list(p, field, &c.SensitivePath.BreakGlass)
			}
		}
	}
}

// scalar returns p's value and records its line, or reports a problem.
func (r *alertsReader) scalar(p pair, field string) (string, bool) {
	r.a.Lines[field] = p.k.Line
	return r.f.scalar(p.v, field)
}

func (r *alertsReader) duration(p pair, field string, dst *time.Duration) {
	s, ok := r.scalar(p, field)
	if !ok {
		return
	}
	d, err := detect.ParseDuration(s)
	if err != nil {
		r.f.add(p.v, "%s: %v", field, err)
		return
	}
	*dst = d
}

func (r *alertsReader) int(p pair, field string, dst *int) {
	s, ok := r.scalar(p, field)
	if !ok {
		return
	}
	n, err := strconv.Atoi(s)
	if err != nil || p.v.Tag != "!!int" {
		r.f.add(p.v, "%s must be a whole number, like 10", field)
		return
	}
	*dst = n
}

func (r *alertsReader) float(p pair, field string, dst *float64) {
	s, ok := r.scalar(p, field)
	if !ok {
		return
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || (p.v.Tag != "!!int" && p.v.Tag != "!!float") {
		r.f.add(p.v, "%s must be a number, like 5 or 2.5", field)
		return
	}
	*dst = x
}

func (r *alertsReader) bool(p pair, field string, dst *bool) {
	s, ok := r.scalar(p, field)
	if !ok {
		return
	}
	if p.v.Tag != "!!bool" || (s != "true" && s != "false") {
		r.f.add(p.v, "%s must be true or false", field)
		return
	}
	*dst = s == "true"
}

func (r *alertsReader) list(p pair, field string, dst *[]string) {
	r.a.Lines[field] = p.k.Line
	if items, ok := r.f.list(p.v, field); ok {
		*dst = items
	}
}

// fieldIndex strips a list index: sensitive_path.retired[2] -> sensitive_path.retired.
var fieldIndex = regexp.MustCompile(`\[\d+\]$`)

// validateAlerts adds each invalid threshold at the line that sets it (or
// at the file, for a default that another setting made invalid).
func validateAlerts(a *Alerts, ps *problems) {
	file := a.Source.File
	if file == "" {
		file = AlertsFile
	}
	for _, fe := range a.Config.Validate() {
		line := a.Lines[fieldIndex.ReplaceAllString(fe.Field, "")]
		ps.add(path.Clean(file), line, 0, "%s: %s", fe.Field, fe.Msg)
	}
}

// LoadAlerts reads dir's alerts.yaml alone, for the commands that run the
// detectors: its thresholds, or ward's defaults if there is no such file.
// Problems are an *Error, as Load's.
func LoadAlerts(dir string) (detect.Config, error) {
	l := &loader{dir: dir, st: &State{}}
	if !l.alerts() {
		return detect.DefaultConfig(), nil
	}
	if err := l.ps.err(); err != nil {
		return detect.Config{}, err
	}
	if l.st.Alerts == nil {
		return detect.DefaultConfig(), nil
	}
	return l.st.Alerts.Config, nil
}
