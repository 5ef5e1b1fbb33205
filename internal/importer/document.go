package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseDocument reads a JSON or YAML document (plaintext, for example the
// output of `sops --decrypt`) into secrets under base. A mapping whose
// values are all fields (strings, numbers, booleans, lists) is one secret at
// its path; a mapping whose values are all mappings is a folder. So
//
//	payments:
//	  db: {user: app, password: …}
//	  stripe: {secret_key: …}
//
// gives payments/db and payments/stripe. A mapping that mixes fields and
// mappings is ambiguous and refused with its path; import such a document
// whole with AsOneSecret. Errors name paths and keys, never values.
func ParseDocument(body []byte, name, base string) ([]Secret, error) {
	doc, err := decodeDocument(body, name)
	if err != nil {
		return nil, err
	}
	var out []Secret
	if err := flatten(doc, strings.Trim(base, "/"), name, &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no secrets in the document", name)
	}
	return out, nil
}

// AsOneSecret reads a JSON or YAML document into one secret at path whose
// fields are the document's top-level keys.
func AsOneSecret(body []byte, name, path string) (Secret, error) {
	doc, err := decodeDocument(body, name)
	if err != nil {
		return Secret{}, err
	}
	if len(doc) == 0 {
		return Secret{}, fmt.Errorf("%s: the document is empty", name)
	}
	return Secret{Path: path, Data: doc}, nil
}

func decodeDocument(body []byte, name string) (map[string]any, error) {
	trimmed := bytes.TrimSpace(body)
	var doc map[string]any
	if bytes.HasPrefix(trimmed, []byte("{")) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %s", name, publicJSONError(err))
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: more than one JSON document", name)
		}
		return doc, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal(trimmed, &node); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %s", name, publicYAMLError(err))
	}
	if len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the document is not a mapping of names to secrets", name)
	}
	if err := node.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, publicYAMLError(err))
	}
	return doc, nil
}

func flatten(m map[string]any, path, name string, out *[]Secret) error {
	var folders, fields []string
	for k, v := range m {
		if k == "" || strings.Contains(k, "/") {
			return fmt.Errorf("%s: %s: key %q cannot be part of a secret's path", name, orRoot(path), k)
		}
		if _, ok := v.(map[string]any); ok {
			folders = append(folders, k)
		} else {
			fields = append(fields, k)
		}
	}
	switch {
	case len(folders) > 0 && len(fields) > 0:
		sort.Strings(folders)
		sort.Strings(fields)
		return fmt.Errorf("%s: %s mixes fields (%s) and folders (%s); import it whole with --as-one, or split it",
			name, orRoot(path), strings.Join(fields, ", "), strings.Join(folders, ", "))
	case len(fields) > 0:
		if path == "" {
			return fmt.Errorf("%s: the document's top level holds fields; give the secret's path (--path)", name)
		}
		*out = append(*out, Secret{Path: path, Data: m})
	default:
		for _, k := range folders {
			if err := flatten(m[k].(map[string]any), join(path, k), name, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// publicJSONError keeps the position of a JSON syntax error and drops any
// quoted input the decoder's message may carry.
func publicJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "malformed document"
}

// publicYAMLError keeps the line of a YAML error; yaml's messages may quote
// the input, which may be a secret.
func publicYAMLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + len("line ")
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return "error at " + msg[i:end]
	}
	return "malformed document"
}
