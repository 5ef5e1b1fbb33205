package plan

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/detect"
)

// KindAlerts is the kind of the change to alerts.yaml's thresholds; its
// name is the file's.
const KindAlerts = "alerts"

// diffAlerts lists the thresholds desired changes, as one change with a
// field per threshold. It says nothing unless both states speak for alerts:
// a server that does not report its thresholds (current.Manages.Alerts
// false) is not told to change them.
func diffAlerts(current, desired *State) []Change {
	if !desired.Manages.Alerts || !current.Manages.Alerts || desired.Alerts == nil {
		return nil
	}
	want := AlertFields(&desired.Alerts.Config)
	action, have := Update, map[string]string{}
	if current.Alerts == nil {
		action = Create
		def := detect.DefaultConfig()
		have = AlertFields(&def)
	} else {
		have = AlertFields(&current.Alerts.Config)
	}
	var fields []FieldChange
	for _, k := range sortedKeys(want) {
		if want[k] != have[k] {
			fields = append(fields, FieldChange{Field: k, Old: have[k], New: want[k]})
		}
	}
	if action == Update && len(fields) == 0 {
		return nil
	}
	return []Change{{Kind: KindAlerts, Name: AlertsFile, Action: action, Fields: fields, Source: desired.Alerts.Source}}
}

// AlertFields flattens thresholds into alerts.yaml's field paths
// (denial_burst.within) and their values as alerts.yaml writes them (1m,
// 7d, [refs/pull/*]).
func AlertFields(c *detect.Config) map[string]string {
	out := map[string]string{}
	flatten(reflect.ValueOf(*c), "", out)
	return out
}

func flatten(v reflect.Value, prefix string, out map[string]string) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := v.Field(i)
		key := prefix + name
		switch x := f.Interface().(type) {
		case time.Duration:
			out[key] = durationText(x)
		case bool:
			out[key] = strconv.FormatBool(x)
		case int:
			out[key] = strconv.Itoa(x)
		case float64:
			out[key] = strconv.FormatFloat(x, 'g', -1, 64)
		case []string:
			out[key] = "[" + strings.Join(x, ", ") + "]"
		default:
			if f.Kind() == reflect.Struct {
				flatten(f, key+".", out)
			}
		}
	}
}

// durationText writes whole days as 7d, others as Go does (1h0m0s as 1h).
func durationText(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
