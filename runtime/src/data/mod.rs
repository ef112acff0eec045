//! Loading and preparing data.
