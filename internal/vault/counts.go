package vault

// LeaseCounts reports how many leases are live and how many revocations
// are failing, for metrics. ErrSealed while sealed.
func (v *Vault) LeaseCounts() (live, failing int, err error) {
	st, err := v.leases()
	if err != nil {
		return 0, 0, err
	}
	live, failing = st.m.Counts()
	return live, failing, nil
}
