package dbengine

// Internals tests reach.
var (
	RandomString = randomString
	UserName     = userName
)
