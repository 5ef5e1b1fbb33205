package policy_test

import (
	"fmt"

	"github.com/wardhq/ward/internal/policy"
)

func Example() {
	ci, err := policy.Parse("ci-api", []byte(`
description: read the api's secrets in staging
rules:
  - path: staging/payments/*
    capabilities: [read, list]
  - path: prod/payments/db
    capabilities: [read]
    mfa: required
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	acl := policy.NewACL(ci)

	// The server canonicalises the path after /v1/ and drops KV v2's data/.
	p, err := policy.CanonicalPath("staging/payments/db")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(acl.Check(p, policy.CapRead).Reason)
	fmt.Println(acl.Check(p, policy.CapUpdate).Reason)
	d := acl.Check("prod/payments/db", policy.CapRead)
	fmt.Println(d.Allowed, d.MFA)
	fmt.Println(acl.Capabilities("staging/payments/"))

	_, err = policy.CanonicalPath("staging/payments/%2e%2e/admin")
	fmt.Println(err)
	// Output:
	// allowed by policy "ci-api", line 4: staging/payments/*
	// no rule of policies [ci-api] grants update on staging/payments/db
	// true true
	// [list read]
	// bad path: segment 3: "." or ".." segment; paths are canonical, with segments of letters, digits and -._~@+=,:
}
