package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/importer"
)

// maxImportFile bounds a .env, JSON or YAML file read by ward import.
const maxImportFile = 16 << 20

type importOpts struct {
	env    string
	dryRun bool
	format format

	// what the source's secrets are called in ward
	path  string // dotenv: the secret; json/yaml/sops: the base path
	asOne string // json/yaml/sops: import the whole document as this one secret

	// vault
	fromAddr      string
	fromTokenFile string
	fromCACert    string
	mount         string
	prefix        string
}

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Bring secrets in from HashiCorp Vault or OpenBao, .env files, SOPS files, JSON or YAML",
		Long: `ward import copies secrets into one environment from where a team keeps them
today. Every import compares each secret with what the environment holds and
writes only what differs, so running it again changes nothing; --dry-run
shows what would change and writes nothing. Values stay in memory: they are
never put on a command line, in a temporary file or in a message.

Each imported write is an ordinary write: the environment's required
metadata and each secret's type apply, and a secret that does not conform is
reported and left out while the others are imported (exit code 1).`,
		Example: `  ward import vault --env staging --from-addr https://vault.example.com --mount secret --prefix payments --dry-run
  ward import dotenv --env dev --path payments/api .env
  ward import sops --env staging secrets.enc.yaml
  sops --decrypt prod.enc.json | ward import json --env prod -`,
	}
	cmd.AddCommand(newImportVaultCmd(g), newImportDotEnvCmd(g), newImportSOPSCmd(g),
		newImportDocCmd(g, "json"), newImportDocCmd(g, "yaml"))
	return cmd
}

func importFlags(cmd *cobra.Command, o *importOpts) {
	cmd.Flags().StringVar(&o.env, "env", "", "the environment to import into (default: 'ward env use')")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "show what would be created or updated; write nothing")
	formatFlag(cmd, &o.format)
}

func newImportVaultCmd(g *globals) *cobra.Command {
	o := &importOpts{}
	cmd := &cobra.Command{
		Use:   "vault --env ENV --from-addr URL [--mount secret] [--prefix PATH]",
		Short: "Import a KV v2 tree from a HashiCorp Vault or OpenBao server",
		Long: `Import every secret under --prefix in the KV v2 engine at --mount of a
HashiCorp Vault or OpenBao server: each secret's current version and its
custom metadata, at the same path relative to the mount. Secrets whose
current version is deleted or destroyed are listed and skipped.

The source's token comes from VAULT_TOKEN, or --from-token-file; its
address from --from-addr or VAULT_ADDR; a private CA from --from-ca-cert or
VAULT_CACERT. The token needs list and read on the tree (metadata and data).`,
		Example: `  # VAULT_TOKEN holds a token of the source that may read the tree
  ward import vault --env staging --from-addr https://vault.example.com --mount secret --prefix payments --dry-run
  ward import vault --env staging --from-addr https://vault.example.com --mount secret --prefix payments`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImportVault(cmd.Context(), g, o)
		},
	}
	importFlags(cmd, o)
	cmd.Flags().StringVar(&o.fromAddr, "from-addr", "", "the source server (default: VAULT_ADDR)")
	cmd.Flags().StringVar(&o.fromTokenFile, "from-token-file", "", "a file holding the source's token (default: VAULT_TOKEN)")
	cmd.Flags().StringVar(&o.fromCACert, "from-ca-cert", "", "a PEM file of the source's CA (default: VAULT_CACERT)")
	cmd.Flags().StringVar(&o.mount, "mount", "secret", "the source's KV v2 mount")
	cmd.Flags().StringVar(&o.prefix, "prefix", "", "import only this folder (or secret) of the mount")
	return cmd
}

func runImportVault(ctx context.Context, g *globals, o *importOpts) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	addr := firstNonEmpty(o.fromAddr, g.getenv("VAULT_ADDR"))
	if addr == "" {
		return withHint(usagef("no source server"), "give --from-addr https://vault.example.com, or set VAULT_ADDR")
	}
	token := strings.TrimSpace(g.getenv("VAULT_TOKEN"))
	if o.fromTokenFile != "" {
		b, err := os.ReadFile(o.fromTokenFile)
		if err != nil {
			return fmt.Errorf("reading --from-token-file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return withHint(usagef("no token for the source server"), "set VAULT_TOKEN, or give --from-token-file FILE")
	}
	hc, err := importer.VaultHTTPClient(firstNonEmpty(o.fromCACert, g.getenv("VAULT_CACERT")))
	if err != nil {
		return fmt.Errorf("the source's CA: %w", err)
	}
	src := &importer.VaultClient{Addr: addr, Token: token, HTTP: hc, Retries: 2}
	secrets, skipped, err := importer.FromVault(ctx, src, o.mount, o.prefix)
	if err != nil {
		return withHint(fmt.Errorf("reading %s: %w", addr, publicVaultError(err)),
			"the token needs list and read on "+o.mount+"/metadata/* and read on "+o.mount+"/data/*")
	}
	for _, p := range skipped {
		fmt.Fprintf(g.stderr, "ward: %s/%s: skipped: its current version is deleted or destroyed\n", o.mount, p)
	}
	return runImport(ctx, g, o, secrets)
}

// publicVaultError drops what a Vault client error may carry beyond the
// status and the server's messages: never a value, since ward sends none.
func publicVaultError(err error) error {
	var re *importer.VaultError
	if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		return fmt.Errorf("permission denied (403)")
	}
	return err
}

func newImportDotEnvCmd(g *globals) *cobra.Command {
	o := &importOpts{}
	cmd := &cobra.Command{
		Use:   "dotenv --env ENV --path PATH FILE",
		Short: "Import a .env file as one secret whose fields are its variables",
		Long: `Import a .env file (KEY=value lines, export, quotes and comments as docker
compose reads them) as one secret at --path whose fields are the file's
variables. A variable given twice is an error, not a silent override. - reads
stdin.`,
		Example: `  ward import dotenv --env dev --path payments/api .env
  ward import dotenv --env dev --path payments/api --dry-run .env.local`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.path == "" {
				return withHint(usagef("--path is required: the secret the file's variables become"), "for example --path payments/api")
			}
			body, err := readInput(g.stdin, args[0], maxImportFile)
			if err != nil {
				return err
			}
			sec, err := importer.ParseDotEnv(bytes.NewReader(body), args[0], o.path)
			if err != nil {
				return err
			}
			return runImport(cmd.Context(), g, o, []importer.Secret{sec})
		},
	}
	importFlags(cmd, o)
	cmd.Flags().StringVar(&o.path, "path", "", "the secret to write (required)")
	return cmd
}

func newImportSOPSCmd(g *globals) *cobra.Command {
	o := &importOpts{}
	cmd := &cobra.Command{
		Use:   "sops --env ENV [--path BASE | --as-one PATH] FILE",
		Short: "Import a SOPS-encrypted YAML or JSON file, decrypted by sops",
		Long: `Decrypt a SOPS file with the sops command (which finds its key as always:
SOPS_AGE_KEY_FILE, a PGP agent, a cloud KMS) and import the document. The
plaintext comes through a pipe into ward's memory, never a temporary file.

` + documentLayoutHelp,
		Example: `  SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt ward import sops --env staging secrets.enc.yaml
  ward import sops --env staging --as-one payments/api api.enc.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := importer.DecryptSOPS(cmd.Context(), args[0], g.environ())
			if err != nil {
				return err
			}
			return importDocument(cmd.Context(), g, o, body, args[0])
		},
	}
	importFlags(cmd, o)
	documentFlags(cmd, o)
	return cmd
}

func newImportDocCmd(g *globals, kind string) *cobra.Command {
	o := &importOpts{}
	cmd := &cobra.Command{
		Use:   kind + " --env ENV [--path BASE | --as-one PATH] FILE",
		Short: "Import a plaintext " + strings.ToUpper(kind) + " document (- for stdin, e.g. from another decrypting tool)",
		Long: `Import a plaintext ` + strings.ToUpper(kind) + ` document. Use - to read stdin, so the output of
a decrypting tool goes straight in without touching the disk.

` + documentLayoutHelp,
		Example: fmt.Sprintf(`  sops --decrypt prod.enc.%[1]s | ward import %[1]s --env prod -
  ward import %[1]s --env dev --path imported secrets.%[1]s --dry-run`, kind),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readInput(g.stdin, args[0], maxImportFile)
			if err != nil {
				return err
			}
			name := args[0]
			if name == "-" {
				name = "stdin"
			}
			return importDocument(cmd.Context(), g, o, body, name)
		},
	}
	importFlags(cmd, o)
	documentFlags(cmd, o)
	return cmd
}

const documentLayoutHelp = `A mapping whose values are fields (strings, numbers, booleans, lists) is one
secret at its path; a mapping of mappings is a folder:

  payments:
    db: {user: app, password: ...}       -> payments/db
    stripe: {secret_key: ...}            -> payments/stripe

--path puts everything under a base path; --as-one PATH imports the whole
document as one secret whose fields are its top-level keys.`

func documentFlags(cmd *cobra.Command, o *importOpts) {
	cmd.Flags().StringVar(&o.path, "path", "", "a base path for the document's secrets")
	cmd.Flags().StringVar(&o.asOne, "as-one", "", "import the whole document as this one secret")
}

// importDocument imports a plaintext document and wipes it after.
func importDocument(ctx context.Context, g *globals, o *importOpts, body []byte, name string) error {
	defer wipeBytes(body)
	secrets, err := documentSecrets(body, name, o)
	if err != nil {
		return err
	}
	return runImport(ctx, g, o, secrets)
}

func documentSecrets(body []byte, name string, o *importOpts) ([]importer.Secret, error) {
	if o.asOne != "" {
		if o.path != "" {
			return nil, usagef("give --path or --as-one, not both")
		}
		s, err := importer.AsOneSecret(body, name, o.asOne)
		if err != nil {
			return nil, err
		}
		return []importer.Secret{s}, nil
	}
	return importer.ParseDocument(body, name, o.path)
}

// runImport writes secrets into the environment and reports what it did.
func runImport(ctx context.Context, g *globals, o *importOpts, secrets []importer.Secret) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	sum, err := importer.Run(ctx, secrets, wardTarget{kv: c.KV(o.env), g: g}, importer.Options{DryRun: o.dryRun})
	if sum == nil {
		return err
	}
	showErr := g.show(o.format, struct {
		Env string `json:"env"`
		*importer.Summary
	}{o.env, sum}, func(w io.Writer) error {
		for _, r := range sum.Results {
			switch {
			case r.Action == importer.Failed:
				fmt.Fprintf(w, "%s/%s: failed: %s\n", o.env, r.Path, strings.TrimPrefix(r.Error, r.Path+": "))
			case o.dryRun && r.Action != importer.Unchanged:
				fmt.Fprintf(w, "%s/%s: would be %s (%s)\n", o.env, r.Path, r.Action, plural(len(r.Fields), "field"))
			default:
				fmt.Fprintf(w, "%s/%s: %s\n", o.env, r.Path, r.Action)
			}
		}
		verb := ""
		if o.dryRun {
			verb = " (dry run: nothing written)"
		}
		_, err := fmt.Fprintf(w, "%d created, %d updated, %d unchanged, %d failed%s\n", sum.Created, sum.Updated, sum.Unchanged, sum.Failed, verb)
		return err
	})
	if showErr != nil {
		return showErr
	}
	if errors.Is(err, importer.ErrSomeFailed) {
		return &exitError{Code: exitFailure}
	}
	return err
}

// wardTarget is an environment of the ward server, through the client.
type wardTarget struct {
	kv *client.KV
	g  *globals
}

func (t wardTarget) Read(ctx context.Context, path string) (map[string]any, map[string]string, bool, error) {
	md, err := t.kv.Metadata(ctx, path)
	if errors.Is(err, client.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, t.g.apiError(err)
	}
	s, err := t.kv.Get(ctx, path, 0)
	if errors.Is(err, client.ErrNotFound) {
		return nil, md.CustomMetadata, false, nil
	}
	if err != nil {
		return nil, nil, false, t.g.apiError(err)
	}
	fields, err := s.Fields()
	if err != nil {
		return nil, nil, false, err
	}
	return fields, md.CustomMetadata, true, nil
}

func (t wardTarget) Write(ctx context.Context, path string, data map[string]any) error {
	_, err := t.kv.Put(ctx, path, data, nil)
	return t.g.apiError(err)
}

func (t wardTarget) SetCustom(ctx context.Context, path string, custom map[string]string) error {
	return t.g.apiError(t.kv.SetMetadata(ctx, path, client.MetadataUpdate{CustomMetadata: custom}))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func wipeBytes(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
