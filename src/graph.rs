//! The dependency graph of a stack's named objects.
//!
//! Owns: a directed graph over petgraph whose edges point from an object to
//! what it depends on; cycle detection that names every member of a loop;
//! a dependency-first order; and DOT output for `cairn graph`.
//!
//! Does not own: what the nodes are or where edges come from (the stack
//! evaluator builds the graph from references and `depends_on`).

use std::collections::HashMap;
use std::hash::Hash;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

/// A graph of nodes `N`; an edge `a -> b` means "a depends on b".
#[derive(Debug, Clone)]
pub struct DepGraph<N: Clone + Eq + Hash> {
    graph: DiGraph<N, ()>,
    index: HashMap<N, NodeIndex>,
}

impl<N: Clone + Eq + Hash> Default for DepGraph<N> {
    fn default() -> Self {
        DepGraph { graph: DiGraph::new(), index: HashMap::new() }
    }
}

impl<N: Clone + Eq + Hash> DepGraph<N> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node (idempotent).
    pub fn add(&mut self, node: N) -> NodeIndex {
        if let Some(i) = self.index.get(&node) {
            return *i;
        }
        let i = self.graph.add_node(node.clone());
        self.index.insert(node, i);
        i
    }

    pub fn contains(&self, node: &N) -> bool {
        self.index.contains_key(node)
    }

    /// Records that `from` depends on `to` (both added if missing).
    pub fn depend(&mut self, from: &N, to: &N) {
        let a = self.add(from.clone());
        let b = self.add(to.clone());
        if !self.graph.contains_edge(a, b) {
            self.graph.add_edge(a, b, ());
        }
    }

    pub fn nodes(&self) -> impl Iterator<Item = &N> {
        self.graph.node_weights()
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// What `node` depends on directly.
    pub fn dependencies(&self, node: &N) -> Vec<&N> {
        match self.index.get(node) {
            Some(i) => self.graph.neighbors_directed(*i, Direction::Outgoing).map(|j| &self.graph[j]).collect(),
            None => Vec::new(),
        }
    }

    /// Every cycle (strongly connected component with a loop), each listed
    /// in a stable order along the loop.
    pub fn cycles(&self) -> Vec<Vec<N>> {
        let mut out = Vec::new();
        for scc in tarjan_scc(&self.graph) {
            let looped = scc.len() > 1 || self.graph.contains_edge(scc[0], scc[0]);
            if looped {
                // Walk the loop from the first member so it reads as a chain.
                let mut members: Vec<NodeIndex> = scc.clone();
                members.sort();
                let ordered = self.loop_order(&members);
                out.push(ordered.into_iter().map(|i| self.graph[i].clone()).collect());
            }
        }
        out
    }

    fn loop_order(&self, members: &[NodeIndex]) -> Vec<NodeIndex> {
        let mut order = vec![members[0]];
        let mut current = members[0];
        while order.len() < members.len() {
            let next = self
                .graph
                .neighbors_directed(current, Direction::Outgoing)
                .filter(|n| members.contains(n) && !order.contains(n))
                .min();
            match next {
                Some(n) => {
                    order.push(n);
                    current = n;
                }
                None => {
                    // Not a simple loop; list the remaining members in index order.
                    order.extend(members.iter().filter(|m| !order.contains(m)).copied().collect::<Vec<_>>());
                    break;
                }
            }
        }
        order
    }

    /// Nodes ordered so that every node comes after everything it depends
    /// on. Nodes on cycles are left out (report [`DepGraph::cycles`] first).
    pub fn dependency_order(&self) -> Vec<N> {
        // Kahn's algorithm on the reversed edges, stable by insertion order.
        let n = self.graph.node_count();
        let mut pending: Vec<usize> = vec![0; n];
        for i in self.graph.node_indices() {
            pending[i.index()] = self.graph.neighbors_directed(i, Direction::Outgoing).count();
        }
        let mut ready: std::collections::VecDeque<NodeIndex> =
            self.graph.node_indices().filter(|i| pending[i.index()] == 0).collect();
        let mut out = Vec::with_capacity(n);
        while let Some(i) = ready.pop_front() {
            out.push(self.graph[i].clone());
            for dependent in self.graph.neighbors_directed(i, Direction::Incoming) {
                pending[dependent.index()] -= 1;
                if pending[dependent.index()] == 0 {
                    ready.push_back(dependent);
                }
            }
        }
        out
    }
}

impl<N: Clone + Eq + Hash + std::fmt::Display + Ord> DepGraph<N> {
    /// DOT text, nodes and edges sorted so output is stable.
    pub fn to_dot(&self) -> String {
        let mut nodes: Vec<&N> = self.nodes().collect();
        nodes.sort();
        let mut edges: Vec<(&N, &N)> =
            self.graph.edge_indices().filter_map(|e| self.graph.edge_endpoints(e)).map(|(a, b)| (&self.graph[a], &self.graph[b])).collect();
        edges.sort();
        let mut out = String::from("digraph G {\n  rankdir = \"RL\";\n  node [shape = rect, fontname = \"sans-serif\"];\n");
        for n in nodes {
            out.push_str(&format!("  {:?} [label={:?}];\n", n.to_string(), n.to_string()));
        }
        for (a, b) in edges {
            out.push_str(&format!("  {:?} -> {:?};\n", a.to_string(), b.to_string()));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_dependencies_first() {
        let mut g = DepGraph::new();
        g.depend(&"c", &"b");
        g.depend(&"b", &"a");
        g.add("d");
        let order = g.dependency_order();
        let pos = |x| order.iter().position(|n| *n == x).unwrap();
        assert!(pos("a") < pos("b") && pos("b") < pos("c"));
        assert_eq!(order.len(), 4);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn cycles_name_every_member() {
        let mut g = DepGraph::new();
        g.depend(&"a", &"b");
        g.depend(&"b", &"c");
        g.depend(&"c", &"a");
        g.depend(&"d", &"d");
        let mut cycles = g.cycles();
        cycles.sort();
        assert_eq!(cycles, vec![vec!["a", "b", "c"], vec!["d"]]);
    }
}
