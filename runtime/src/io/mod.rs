//! Reading and writing weights.
