// Package barrier is ward's encryption at rest. Storage is untrusted: the
// rest of the vault reads and writes through a *Barrier, which is itself a
// storage.Backend that encrypts every value on its way down and checks and
// decrypts it on its way up.
//
// # Use
//
//	b := barrier.New(barrier.Config{Storage: db, KeyringOf: layout})
//	shares, err := b.Init(ctx, 5, 3) // once per store; hand the shares to five people
//	// ... at every start, three of them:
//	st, err := b.Unseal(ctx, share)  // until st.Sealed is false
//	b.CreateEnvKey(ctx, "prod")      // when an environment is created
//	b.Put(ctx, &storage.Entry{Key: key, Value: secret}) // sealed with the keyring layout(key) names
//	b.Seal()                         // keys leave memory; every data call is ErrSealed
//
// # Keys
//
// Init makes a random 256-bit root key, splits it with Shamir's scheme
// (package shamir) and returns the shares; they are never stored. The root
// key seals one thing, the system keyring. A keyring is a list of AES-256
// keys numbered by term; the highest term is active and encrypts new
// writes, every older term still decrypts. Rotate adds a term. Each
// environment has a keyring of its own (its data key), created by
// CreateEnvKey and stored wrapped by the system keyring. Which keyring
// seals a value is the caller's to say, through Config.KeyringOf (the
// vault keeps each environment's values under env/<id>/ and says so);
// every other value is sealed with the system keyring. DestroyEnvKey
// deletes an environment's keyring, which makes every value ever sealed
// with it unreadable (crypto-shredding), even in backups of the store
// taken before.
//
// The barrier reserves the keys under core/ for itself:
//
//	core/seal-config        shares and threshold (JSON, plaintext: not secret)
//	core/keyring            system keyring, sealed by the root key (term 0)
//	core/env/<id>           environment <id>'s keyring, sealed by the system keyring
//	core/counter/system     encryption counter reservation of the system keyring
//	core/counter/env/<id>   the same for environment <id>
//
// Callers cannot Get, Put, Delete or List anything under core/, and List("")
// does not show it.
//
// # Ciphertext
//
// Every stored value describes itself:
//
//	byte 0       format version, 1
//	bytes 1-4    key term, big-endian uint32 (0: the root key)
//	bytes 5-16   96-bit random nonce
//	bytes 17-    AES-256-GCM sealed plaintext, 16-byte tag last
//
// The additional data is the version byte followed by the full storage key,
// so a value copied to another key (another path, another version of a
// secret, another environment) fails to open. A value that fails in any way
// (truncated, unknown version, unknown term, tampered, moved) is a
// *DecryptError wrapping ErrDecrypt; its message names the key and the
// reason, never any bytes of the value.
//
// # Counters and rotation
//
// Random 96-bit nonces are safe for about 2^32 encryptions under one key.
// The barrier counts encryptions per term and rotates a keyring by itself
// when its active term reaches Config.MaxEncryptionsPerTerm. The count is
// persisted by reservation: before using counts it writes "reserved up to
// N" to core/counter/..., and on unseal it starts from the last
// reservation, so a crash can skip counts but never reuse them.
//
// # What the barrier does not hide or guarantee
//
// Storage keys, their number and the sizes of values are not secret: List
// passes through to the store, so paths must not hold secrets. The store
// can drop, replay or roll back whole values (including the counter
// reservations and seal config); the barrier detects values that were
// altered or moved, not values that were rewound. Keys are zeroized on Seal
// as far as Go allows: the raw key bytes are cleared, but the expanded AES
// schedule inside crypto/aes cannot be, and is dropped for the garbage
// collector. Keyrings are cached per process: two barriers over one store
// (several servers) do not see each other's rotations until they are
// sealed and unsealed.
package barrier
