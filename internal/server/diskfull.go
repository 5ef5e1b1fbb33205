package server

import (
	"errors"
	"net/http"
	"syscall"
)

// diskFullAPIError is the answer to a write the store refused because its
// disk (or the user's quota) is full: 503, since it will work again once
// space is freed, and nothing was stored. nil for any other error.
func diskFullAPIError(err error) *apiError {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return nil
	}
	return &apiError{status: http.StatusServiceUnavailable, msgs: []string{
		"the store's disk is full, so ward refuses writes; nothing was stored and reads go on (hint: free space on the disk of ward's data directory, or grow it)"}}
}
