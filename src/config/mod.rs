//! Loading a stack.
