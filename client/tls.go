package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// maxCACertBytes bounds a CA file: a bundle of a few hundred certificates.
const maxCACertBytes = 4 << 20

// httpClient is the client New makes when the caller gives none: a 60 s
// timeout, and, with caFile, the authorities in it trusted beside the
// system's.
func httpClient(caFile string) (*http.Client, error) {
	hc := &http.Client{Timeout: 60 * time.Second}
	if caFile == "" {
		return hc, nil
	}
	pool, err := caPool(caFile)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc.Transport = tr
	return hc, nil
}

// caPool is the system's roots (none where the system has no pool) plus
// the PEM certificates of file.
func caPool(file string) (*x509.CertPool, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("CA certificate file: %w", err)
	}
	if st.Size() > maxCACertBytes {
		return nil, fmt.Errorf("CA certificate file %s is larger than %d bytes", file, maxCACertBytes)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA certificate file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA certificate file %s holds no PEM certificate (want -----BEGIN CERTIFICATE-----)", file)
	}
	return pool, nil
}

// certificateError reports whether err is a failure to verify the server's
// certificate, which no retry can mend.
func certificateError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}
