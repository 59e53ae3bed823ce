//! Addresses: the join key between config, graph, plan, state and the UI.
