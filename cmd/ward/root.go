package main

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// Command groups, in the order ward help lists them.
const (
	groupVault    = "vault"
	groupSecrets  = "secrets"
	groupCI       = "ci"
	groupAccess   = "access"
	groupOperator = "operator"
)

// newRootCmd builds ward's command tree: every command ward has is listed
// here, in the group ward help shows it under.
func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "ward",
		Short: "ward keeps the secrets of CI/CD pipelines",
		Long: `ward keeps the secrets of CI/CD pipelines for teams that ship Go and Rust
services side by side.

The vault:   ward dev | ward server     an encrypted, audited store of secrets
The CI side: ward check | ward run | ward mask | ward scan

Every command that talks to a server finds it at --address, else WARD_ADDR
(default ` + "http://127.0.0.1:8200" + `), trusts the CA in --ca-cert or WARD_CACERT
for a server with a private CA, and sends the token in WARD_TOKEN or
~/.ward/token. A token is never taken from the command line.`,
		Example: `  ward dev                                  # a complete server on this machine
  ward env use staging                      # --env staging from now on, in this directory
  ward kv put payments/db < db.json
  ward kv get payments/db
  ward run --component api -- go test ./...`,
		Version:       wardVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("ward {{.Version}}\n")
	root.AddGroup(
		&cobra.Group{ID: groupVault, Title: "Run a vault:"},
		&cobra.Group{ID: groupSecrets, Title: "Secrets, environments and types:"},
		&cobra.Group{ID: groupCI, Title: "The CI side:"},
		&cobra.Group{ID: groupAccess, Title: "People, tokens and policies:"},
		&cobra.Group{ID: groupOperator, Title: "Operating a vault:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add(groupVault, newDevCmd(g), newServerCmd(g))
	add(groupSecrets, newKVCmd(g), newEnvCmd(g), newTypeCmd(g), newImportCmd(g), newDBCmd(g), newLeaseCmd(g))
	add(groupCI, newCheckCmd(g), newRunCmd(g), newMaskCmd(g), newScanCmd(g), newManifestCmd(g), newCodegenCmd(g), newSynthCmd(g), newDocsCmd(g), newHookCmd(g))
	add(groupAccess, newLoginCmd(g), newAuthCmd(g), newTokenCmd(g), newPolicyCmd(g), newAccessCmd(g), newUserCmd(g), newMFACmd(g))
	add(groupOperator, newOperatorCmd(g), newPlanCmd(g), newApplyCmd(g), newAuditCmd(g), newAlertsCmd(g), newDrillCmd(g))
	root.AddCommand(newVersionCmd(g), newCompletionCmd(root))
	root.CompletionOptions.DisableDefaultCmd = true // newCompletionCmd, with its help
	root.SetHelpCommand(newHelpCmd(root))
	g.persistentFlags(root)
	usageRules(root)
	g.envCompletion(root)
	return root
}

// globals is what every command shares: its streams, its view of the
// process's environment, and the global flags. Commands read the
// environment through getenv only, never os.Getenv, so that tests can run
// them side by side with environments of their own.
type globals struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// getenv reads an environment variable; environ lists them all (the
	// environment ward run's child starts from).
	getenv  func(string) string
	environ func() []string
	// wd is the working directory, for the default environment of
	// 'ward env use'.
	wd  string
	now func() time.Time
	// tty, when set, stands for a terminal that prompts read from (tests);
	// nil: stdin, when it is a terminal.
	tty io.Reader

	address string // --address; "": WARD_ADDR
	caCert  string // --ca-cert; "": WARD_CACERT
}

// processGlobals are the globals of the ward process itself.
func processGlobals(stdin io.Reader, stdout, stderr io.Writer) *globals {
	wd, _ := os.Getwd()
	return &globals{
		stdin: stdin, stdout: stdout, stderr: stderr,
		getenv: os.Getenv, environ: os.Environ, wd: wd, now: time.Now,
	}
}
