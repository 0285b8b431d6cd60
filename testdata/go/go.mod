module tlstap.test/testdata

// The oldest toolchain we build with; newer ones accept this and
// GOTOOLCHAIN=local keeps them from trying to switch.  Standard library only.
go 1.19
