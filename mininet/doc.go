// Package mininet holds voipsdn's Mininet lab topologies (Python, one file
// per topology) and run-in-box.sh, which runs them in an isolated
// namespace box. The Go package contains only the test that runs each
// topology in the box without a controller, so CI checks the lab itself.
package mininet
