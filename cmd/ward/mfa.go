package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"
	"github.com/wardhq/ward/client"
)

func newMFACmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mfa",
		Short: "Enrol a TOTP second factor; see which operations ask for it",
		Long: `Step-up MFA: a request that matches a policy rule with "mfa: required", or a
shipped default ('ward mfa defaults'), needs a fresh code from your
authenticator app. The ward CLI asks for it on the terminal when the server
wants one, or reads it from WARD_MFA; codes are never flags. A code works
once: wait for the next one for the next operation.`,
		Example: `  ward login alice --env prod
  ward mfa enroll          # scan the QR code, then type the first code
  ward kv destroy --env prod payments/old --versions 1    # asks for a code`,
	}
	var confirmFormat format
	confirm := &cobra.Command{
		Use:   "confirm",
		Short: "Confirm your enrolment with a first code (asked for, or WARD_MFA, or stdin)",
		Example: `  ward mfa confirm
  WARD_MFA=123456 ward mfa confirm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return confirmTOTP(cmd.Context(), g, confirmFormat) },
	}
	formatFlag(confirm, &confirmFormat)

	var resetFormat format
	reset := &cobra.Command{
		Use:     "reset USER",
		Short:   "Delete a user's TOTP enrolment (admins), so the user can enrol again",
		Example: `  ward mfa reset alice`,
		Args:    exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.ResetTOTP(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			name := strings.TrimSpace(args[0])
			return g.show(resetFormat, map[string]any{"user": name, "reset": true}, lineText("TOTP enrolment of %s deleted; they can run ward mfa enroll again", name))
		},
	}
	formatFlag(reset, &resetFormat)

	var defaultsFormat format
	defaults := &cobra.Command{
		Use:     "defaults",
		Short:   "List the operations that need MFA for every non-root token, whatever the policy",
		Example: `  ward mfa defaults`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.MFADefaults(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			rows := [][]string{{"DEFAULT", "NEEDS MFA FOR"}}
			for _, d := range ds {
				rows = append(rows, []string{d.Name, d.Description})
			}
			return g.show(defaultsFormat, ds, tableText(rows))
		},
	}
	formatFlag(defaults, &defaultsFormat)
	cmd.AddCommand(newMFAEnrollCmd(g), confirm, newMFAStatusCmd(g), reset, defaults)
	return cmd
}

type mfaEnrollOpts struct {
	invert bool
	format format
}

func newMFAEnrollCmd(g *globals) *cobra.Command {
	o := &mfaEnrollOpts{}
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Make a TOTP secret for your user; prints its otpauth:// URI and a QR code",
		Example: `  ward mfa enroll
  ward mfa enroll --qr-invert          # a terminal with a light background`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMFAEnroll(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.invert, "qr-invert", false, "draw the QR code for a terminal with a light background")
	formatFlag(cmd, &o.format)
	return cmd
}

func runMFAEnroll(ctx context.Context, g *globals, o *mfaEnrollOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	en, err := c.EnrollTOTP(ctx)
	if err != nil {
		return g.apiError(err)
	}
	if o.format == formatJSON {
		return printJSON(g.stdout, map[string]any{"identity": en.Identity, "uri": en.URI, "secret": en.Secret})
	}
	fmt.Fprintf(g.stdout, "Scan this with your authenticator app (or enter the secret %s):\n\n", en.Secret)
	if err := writeQR(g.stdout, en.URI, o.invert); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\n%s\n\n", en.URI)
	if _, ok := stdinTerminal(g.stdin); !ok && g.mfaCodeFromEnv() == "" {
		fmt.Fprintln(g.stdout, "Then confirm it with a first code: ward mfa confirm")
		return nil
	}
	return confirmTOTP(ctx, g, formatText)
}

func newMFAStatusCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "status [USER]",
		Short: "Show your enrolment, or a user's (admins)",
		Example: `  ward mfa status
  ward mfa status alice --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := ""
			if len(args) == 1 {
				user = args[0]
			}
			return runMFAStatus(cmd.Context(), g, user, f)
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

// runMFAStatus shows the caller's enrolment, or user's ("" : the caller's).
func runMFAStatus(ctx context.Context, g *globals, user string, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	var en *client.TOTPEnrolment
	if user != "" {
		en, err = c.UserTOTP(ctx, user)
	} else {
		en, err = c.TOTPStatus(ctx)
	}
	if err != nil {
		return g.apiError(err)
	}
	state := "not enrolled (ward mfa enroll)"
	switch {
	case en.Confirmed:
		state = "enrolled and confirmed"
	case en.Enrolled:
		state = "enrolled, not confirmed (ward mfa confirm)"
	}
	return g.show(f, en, lineText("%s: totp %s", en.Identity, state))
}

// confirmTOTP reads a first code (WARD_MFA, a prompt, or stdin's first
// line) and confirms the caller's enrolment with it.
func confirmTOTP(ctx context.Context, g *globals, f format) error {
	code := g.mfaCodeFromEnv()
	if code == "" {
		if f, ok := stdinTerminal(g.stdin); ok {
			fmt.Fprint(g.stderr, "code from your app: ")
			line, err := readBoundedLine(f)
			if err != nil {
				return err
			}
			code = strings.TrimSpace(line)
		} else {
			line, err := readBoundedLine(g.stdin)
			if err != nil {
				return err
			}
			code = strings.TrimSpace(line)
		}
	}
	if code == "" {
		return withHint(usagef("no code"), "type the 6 digits your authenticator app shows, or set WARD_MFA")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.ConfirmTOTP(ctx, code); err != nil {
		return g.apiError(err)
	}
	// The server has taken this code: the next operation that needs MFA
	// must wait for the app's next one. Say so, rather than let that
	// operation fail with "already used".
	next := g.nextCodeIn()
	return g.show(f, map[string]any{"confirmed": true, "next_code_in_seconds": next}, func(w io.Writer) error {
		fmt.Fprintln(w, "TOTP enrolment confirmed: operations that need MFA will ask for a code")
		_, err := fmt.Fprintf(w, "This code is now used; the next operation that needs MFA takes your app's next code (in %ds).\n", next)
		return err
	})
}

// writeQR draws content as a QR code with Unicode half blocks, two rows
// of modules per line. Blocks are drawn for light modules, which suits a
// terminal with light text on a dark background; invert for the other kind.
func writeQR(w io.Writer, content string, invert bool) error {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return err
	}
	return drawQR(w, q.Bitmap(), invert)
}

// drawQR draws bitmap (true: a dark module).
func drawQR(w io.Writer, bitmap [][]bool, invert bool) error {
	lit := func(y, x int) bool {
		if y >= len(bitmap) {
			return !invert // a light row past the end
		}
		return bitmap[y][x] == invert
	}
	var b strings.Builder
	for y := 0; y < len(bitmap); y += 2 {
		for x := range bitmap[y] {
			switch top, bottom := lit(y, x), lit(y+1, x); {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
