package server

// nonNilClaims is claims, or an empty object for none, as Vault answers
// map fields.
func nonNilClaims(claims map[string]any) map[string]any {
	if claims == nil {
		return map[string]any{}
	}
	return claims
}
