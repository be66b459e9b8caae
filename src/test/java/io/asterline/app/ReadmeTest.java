package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Operators configure from the README: every key the code reads must be in it, with its env name. */
class ReadmeTest {

  @Test
  void everyConfigurationKeyAndItsEnvironmentNameIsDocumented() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (ConfigKey key : AsterlineConfig.keys()) {
      assertThat(readme).as("README documents " + key.name()).contains("`" + key.name() + "`");
      assertThat(readme).as("README names the env variable of " + key.name()).contains("`" + key.primaryEnvName() + "`");
    }
  }

  @Test
  void ciRunsTheReadmeTestCommand() throws Exception {
    String ci = Files.readString(Path.of(".ci/run"));
    String last = ci.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("set ")
        && !l.startsWith("cd ")).reduce((a, b) -> b).orElseThrow();
    assertThat(Files.readString(Path.of("README.md")).lines().limit(6)).anyMatch(l -> l.contains(last.trim()));
  }

  /**
   * A user of the repository has only the repository: every relative link in its Markdown must land on a file or
   * folder inside it (a link to ../shared once pointed at a file users never get).
   */
  @Test
  void everyLinkInTheDocumentationLandsInsideTheRepository() throws Exception {
    Pattern link = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    Path root = Path.of("").toAbsolutePath().normalize();
    List<Path> docs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(f -> f.toString().endsWith(".md"))
          .filter(f -> !root.relativize(f).startsWith("target") && !root.relativize(f).startsWith(".git"))
          .forEach(docs::add);
    }
    assertThat(docs).contains(root.resolve("README.md"), root.resolve("docs/architecture.md"));
    List<String> broken = new ArrayList<>();
    for (Path doc : docs) {
      Matcher m = link.matcher(Files.readString(doc));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*") || target.startsWith("#")) {
          continue;
        }
        Path resolved = doc.getParent().resolve(target.replaceAll("#.*$", "")).normalize();
        if (!resolved.startsWith(root) || !Files.exists(resolved)) {
          broken.add(root.relativize(doc) + ": " + target);
        }
      }
    }
    assertThat(broken).as("links that leave the repository or land nowhere").isEmpty();
  }
}
