package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// snapshotVersion is written in every snapshot; Restore refuses others.
const snapshotVersion = 1

// ErrSnapshot is returned by Restore for data that is not a snapshot this
// version of ward wrote.
var ErrSnapshot = errors.New("not a detector snapshot")

type snapshot struct {
	Version    int        `json:"version"`
	Identities []idSnap   `json:"identities"` // least recently used first
	Tokens     []tokSnap  `json:"tokens"`
	Roles      []roleSnap `json:"roles"`
	Stats      Stats      `json:"stats"`
}

type winSnap struct {
	Start   time.Time `json:"start,omitzero"`
	N       int       `json:"n,omitempty"`
	Alerted bool      `json:"alerted,omitempty"`
	Carried bool      `json:"carried,omitempty"`
}

type idSnap struct {
	Key       string    `json:"key"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Events    int       `json:"events"`
	Display   string    `json:"display,omitempty"`
	Paths     []string  `json:"paths,omitempty"` // least recently used first
	Hours     uint32    `json:"hours"`
	Active    int       `json:"active_hours,omitempty"`
	LastSlot  int64     `json:"last_hour,omitempty"`
	MaxReads  int       `json:"max_reads,omitempty"`
	Vol       winSnap   `json:"volume,omitzero"`
	PrevReads int       `json:"previous_reads,omitempty"`
	Enum      winSnap   `json:"enumeration,omitzero"`
	EnumPaths []string  `json:"enumeration_paths,omitempty"`
	EnumLists int       `json:"enumeration_lists,omitempty"`
	Deny      winSnap   `json:"denials,omitzero"`
}

type tokSnap struct {
	Token   string `json:"token"` // the HMAC the log holds
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Env     string `json:"env,omitempty"`
	Alerted bool   `json:"alerted,omitempty"`
}

type roleSnap struct {
	Role     string    `json:"role"`
	First    time.Time `json:"first"`
	Contexts []string  `json:"contexts"`
}

func (w window) snap() winSnap   { return winSnap{w.start, w.n, w.alerted, w.carried} }
func (w winSnap) window() window { return window{w.Start, w.N, w.Alerted, w.Carried} }

func keys[V any](l *lru[string, V]) []string {
	out := make([]string, 0, l.Len())
	l.Each(func(k string, _ V) { out = append(out, k) })
	return out
}

// Snapshot writes the engine's whole state (baselines, windows, counters)
// as JSON. It holds tokens only as the HMACs the log holds, and paths,
// names and addresses, like the log.
func (e *Engine) Snapshot(w io.Writer) error {
	e.mu.Lock()
	s := snapshot{Version: snapshotVersion, Stats: e.stats}
	snapID := func(k string, st *idState) {
		s.Identities = append(s.Identities, idSnap{
			Key: k, First: st.first, Last: st.last, Events: st.events, Display: st.display,
			Paths: keys(st.paths), Hours: st.hours, Active: st.activeHours, LastSlot: st.lastSlot, MaxReads: st.maxReads,
			Vol: st.vol.snap(), PrevReads: st.prevReads, Enum: st.enum.snap(), EnumPaths: slices.Sorted(maps.Keys(st.enumPaths)),
			EnumLists: st.enumLists, Deny: st.deny.snap(),
		})
	}
	e.anon.Each(snapID)
	e.ids.Each(snapID)
	e.tokens.Each(func(k string, t *tokenState) {
		s.Tokens = append(s.Tokens, tokSnap{k, t.network, t.addr, t.env, t.alerted})
	})
	e.roles.Each(func(k string, r *roleState) {
		s.Roles = append(s.Roles, roleSnap{k, r.first, keys(r.contexts)})
	})
	b, err := json.Marshal(s)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Restore replaces the engine's state with a snapshot's. The engine's
// Limits apply: a snapshot taken with larger ones keeps its most recently
// used entries. On error the engine is unchanged.
func (e *Engine) Restore(r io.Reader) error {
	var s snapshot
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("%w: version %d, this ward reads version %d", ErrSnapshot, s.Version, snapshotVersion)
	}
	l := e.opt.Limits
	ids := newLRU[string, *idState](l.Identities)
	anon := newLRU[string, *idState](l.Addresses)
	for _, is := range s.Identities {
		st := &idState{
			first: is.First, last: is.Last, events: is.Events, display: is.Display,
			paths: newLRU[string, struct{}](l.PathsPerIdentity), hours: is.Hours & (1<<24 - 1), activeHours: is.Active, lastSlot: is.LastSlot,
			maxReads: is.MaxReads, vol: is.Vol.window(), prevReads: is.PrevReads, enum: is.Enum.window(),
			enumLists: is.EnumLists, deny: is.Deny.window(),
		}
		for _, p := range is.Paths {
			st.paths.Put(p, struct{}{})
		}
		if len(is.EnumPaths) > 0 {
			st.enumPaths = make(map[string]struct{}, len(is.EnumPaths))
			for _, p := range is.EnumPaths {
				st.enumPaths[p] = struct{}{}
			}
		}
		if strings.HasPrefix(is.Key, "addr:") {
			anon.Put(is.Key, st)
		} else {
			ids.Put(is.Key, st)
		}
	}
	tokens := newLRU[string, *tokenState](l.Tokens)
	for _, t := range s.Tokens {
		tokens.Put(t.Token, &tokenState{network: t.Network, addr: t.Addr, env: t.Env, alerted: t.Alerted})
	}
	roles := newLRU[string, *roleState](l.Roles)
	for _, rs := range s.Roles {
		st := &roleState{first: rs.First, contexts: newLRU[string, struct{}](l.ContextsPerRole)}
		for _, c := range rs.Contexts {
			st.contexts.Put(c, struct{}{})
		}
		roles.Put(rs.Role, st)
	}
	if s.Stats.Alerts == nil {
		s.Stats.Alerts = map[string]int64{}
	}
	e.mu.Lock()
	e.ids, e.anon, e.tokens, e.roles, e.stats = ids, anon, tokens, roles, s.Stats
	e.mu.Unlock()
	return nil
}

// SaveFile writes a snapshot to path atomically (a temporary file in the
// same directory, renamed over it), mode 0600.
func (e *Engine) SaveFile(path string) error { return writeFileAtomic(path, e.Snapshot) }

// writeFileAtomic writes what write writes to path atomically: a temporary
// file (mode 0600) in the same directory, synced and renamed over it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".detect-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// LoadFile restores a snapshot SaveFile wrote. A missing file is not an
// error: the engine starts learning afresh.
func (e *Engine) LoadFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := e.Restore(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
