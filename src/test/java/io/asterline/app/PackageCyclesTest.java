package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of src/main/java depend on each other without a cycle, so each can be read (and changed) knowing
 * only the packages below it. Read from the {@code import io.asterline.} lines, as a reader would grep them.
 */
class PackageCyclesTest {

  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
  private static final Pattern IMPORT = Pattern.compile("(?m)^import\\s+(?:static\\s+)?(io\\.asterline\\.[\\w.]+)\\s*;");

  @Test
  void noPackageDependsOnItselfThroughOthers() throws IOException {
    Map<String, Map<String, String>> graph = importGraph(Path.of("src/main/java"));
    assertThat(graph).as("packages read from src/main/java").containsKey("io.asterline.http");

    List<String> cycles = cycles(graph);

    assertThat(cycles).as("package cycles (each edge names a file that makes it)").isEmpty();
  }

  @Test
  void aCycleIsFoundAndNamed() {
    Map<String, Map<String, String>> graph = new TreeMap<>();
    graph.put("a", Map.of("b", "a/A.java"));
    graph.put("b", Map.of("c", "b/B.java"));
    graph.put("c", Map.of("a", "c/C.java"));
    graph.put("d", Map.of("a", "d/D.java"));

    assertThat(cycles(graph)).containsExactly("among [a, b, c]: a -> b (a/A.java) -> c (b/B.java) -> a (c/C.java)");
  }

  @Test
  void aDiamondIsNoCycle() {
    Map<String, Map<String, String>> graph = new TreeMap<>();
    graph.put("app", Map.of("x", "app/A.java", "y", "app/A.java"));
    graph.put("x", Map.of("base", "x/X.java"));
    graph.put("y", Map.of("base", "y/Y.java"));

    assertThat(cycles(graph)).isEmpty();
  }

  /** package -> (package it imports from -> one file that does). */
  static Map<String, Map<String, String>> importGraph(Path sources) throws IOException {
    Map<String, Map<String, String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String text = read(file);
        Matcher pkg = PACKAGE.matcher(text);
        String from = pkg.find() ? pkg.group(1) : "";
        Map<String, String> edges = graph.computeIfAbsent(from, k -> new TreeMap<>());
        Matcher imp = IMPORT.matcher(text);
        while (imp.find()) {
          String to = packageOf(imp.group(1));
          if (!to.equals(from)) {
            edges.putIfAbsent(to, sources.relativize(file).toString());
          }
        }
      }
    }
    return graph;
  }

  /** The package of an imported name: the segments before the first one that starts upper case (a type). */
  private static String packageOf(String imported) {
    List<String> parts = new ArrayList<>();
    for (String segment : imported.split("\\.")) {
      if (!segment.isEmpty() && Character.isUpperCase(segment.charAt(0))) {
        break;
      }
      parts.add(segment);
    }
    return String.join(".", parts);
  }

  /**
   * One line per strongly connected group of packages (Tarjan), showing one cycle through it and, for each edge,
   * a file whose import makes it.
   */
  static List<String> cycles(Map<String, Map<String, String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> groups = new ArrayList<>();
    int[] counter = {0};
    for (String node : new TreeSet<>(graph.keySet())) {
      if (!index.containsKey(node)) {
        strongConnect(node, graph, index, low, stack, onStack, groups, counter);
      }
    }
    List<String> lines = new ArrayList<>();
    for (Set<String> group : groups) {
      if (group.size() > 1) {
        lines.add(describe(group, graph));
      }
    }
    return lines;
  }

  private static void strongConnect(String node, Map<String, Map<String, String>> graph, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> groups, int[] counter) {
    index.put(node, counter[0]);
    low.put(node, counter[0]);
    counter[0]++;
    stack.push(node);
    onStack.add(node);
    for (String next : new TreeSet<>(graph.getOrDefault(node, Map.of()).keySet())) {
      if (!index.containsKey(next)) {
        strongConnect(next, graph, index, low, stack, onStack, groups, counter);
        low.put(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node).equals(index.get(node))) {
      Set<String> group = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        group.add(member);
      } while (!member.equals(node));
      groups.add(group);
    }
  }

  /** A shortest way from the group's first package back to itself, inside the group. */
  private static String describe(Set<String> group, Map<String, Map<String, String>> graph) {
    String start = group.iterator().next();
    Map<String, String> cameFrom = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>(List.of(start));
    String last = null;
    search:
    while (!queue.isEmpty()) {
      String node = queue.poll();
      for (String next : new TreeSet<>(graph.getOrDefault(node, Map.of()).keySet())) {
        if (!group.contains(next)) {
          continue;
        }
        if (next.equals(start)) {
          last = node;
          break search;
        }
        if (!cameFrom.containsKey(next)) {
          cameFrom.put(next, node);
          queue.add(next);
        }
      }
    }
    List<String> path = new ArrayList<>();
    for (String n = last; n != null && !n.equals(start); n = cameFrom.get(n)) {
      path.add(0, n);
    }
    path.add(0, start);
    path.add(start);
    StringBuilder line = new StringBuilder("among ").append(group).append(": ").append(path.get(0));
    for (int i = 1; i < path.size(); i++) {
      String file = graph.get(path.get(i - 1)).get(path.get(i));
      line.append(" -> ").append(path.get(i)).append(" (").append(file).append(')');
    }
    return line.toString();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
