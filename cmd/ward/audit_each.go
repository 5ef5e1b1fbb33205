package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Several ward servers on one PostgreSQL each keep their own audit log, a
// hash chain of its own. ward audit verify --each checks several such logs
// in one run: each argument is one server's log, its rotated files joined
// by commas, oldest first.

// eachLogFiles splits --each's arguments into one list of files per log.
func eachLogFiles(args []string) ([][]string, error) {
	logs := make([][]string, 0, len(args))
	for _, arg := range args {
		files := strings.Split(arg, ",")
		if slices.Contains(files, "") {
			return nil, usagef("--each: %q has an empty file name; join a rotated log's files with single commas, oldest first", arg)
		}
		if slices.Contains(files, "-") {
			return nil, usagef("--each reads files by name, not stdin (-)")
		}
		logs = append(logs, files)
	}
	return logs, nil
}

// runAuditVerifyEach verifies each log as runAuditVerify does, reporting
// each failure as it comes (on stderr, or as its JSON line) and going on
// to the next log; it fails if any log did.
func runAuditVerifyEach(ctx context.Context, o auditVerifyOptions) error {
	logs, err := eachLogFiles(o.files)
	if err != nil {
		return err
	}
	failed := 0
	for _, files := range logs {
		one := o
		one.files = files
		err := runAuditVerify(ctx, one)
		if err == nil {
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) { // JSON output has said it already
			exitCode(err, o.stderr)
		}
		failed++
	}
	switch {
	case failed > 0:
		return &exitError{Code: exitFailure, Msg: fmt.Sprintf("%d of %s failed verification", failed, plural(len(logs), "audit log"))}
	case o.format != "json":
		fmt.Fprintf(o.stdout, "ward: all %s intact\n", plural(len(logs), "audit log"))
	}
	return nil
}
