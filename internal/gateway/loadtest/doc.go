// Package loadtest holds the gateway's load tests: many slow clients, several
// gateways sharing one Redis, reloads under traffic. They start real gateways
// on 127.0.0.1 through the same API the CLI uses and are bounded in time so
// they run in CI with the other tests. The package has no non-test code.
package loadtest
