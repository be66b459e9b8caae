package io.asterline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every variable an operator can set is documented: the compose file's and the Asterisk templates'
 * variable references, and the keys of docker/.env.example, all appear in README.md's Operations
 * section, and the template and the compose file agree on what reaches the Asterisk container.
 */
class DeploymentVariablesTest {

  // ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+])[^}]*)?}");
  private static final Pattern ENV_KEY = Pattern.compile("(?m)^([A-Za-z_][A-Za-z0-9_]*)=");

  private static Set<String> references(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = REFERENCE.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static Set<String> templateReferences() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.list(Repo.asteriskConfig())) {
      for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".template")).toList()) {
        names.addAll(references(Repo.read(p)));
      }
    }
    return names;
  }

  private static Set<String> composeReferences() {
    return references(Repo.read(Repo.docker().resolve("docker-compose.yml")));
  }

  private static Set<String> envExampleKeys() {
    Set<String> names = new TreeSet<>();
    Matcher m = ENV_KEY.matcher(Repo.read(Repo.docker().resolve(".env.example")));
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static String operationsSection() {
    String readme = Repo.read(Repo.root().resolve("README.md"));
    int start = readme.indexOf("\n## Operations\n");
    assertThat(start).as("README.md has an '## Operations' section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return end < 0 ? readme.substring(start) : readme.substring(start, end);
  }

  @Test
  void theReferencePatternReadsEveryComposeForm() {
    assertThat(references("a ${ONE} ${TWO:-x} ${THREE:?say} ${FOUR-y} $${NOT_A_VAR_IN_COMPOSE}x"))
        .contains("ONE", "TWO", "THREE", "FOUR");
  }

  @Test
  void everyVariableIsDocumentedInTheReadme() throws IOException {
    Set<String> used = new TreeSet<>();
    used.addAll(composeReferences());
    used.addAll(templateReferences());
    used.addAll(envExampleKeys());
    assertThat(used).as("variables found").contains("EXTERNAL_IP", "AMI_SECRET", "TWILIO_TERMINATION_HOST");

    String operations = operationsSection();
    assertThat(used).as("variables missing from README.md, section Operations")
        .filteredOn(name -> !operations.contains("`" + name + "`"))
        .isEmpty();
  }

  @Test
  void theEnvTemplateListsExactlyWhatComposeReads() {
    assertThat(envExampleKeys()).as("in .env.example but not used by docker-compose.yml")
        .isSubsetOf(composeReferences());
    assertThat(composeReferences()).as("used by docker-compose.yml but missing from .env.example")
        .isSubsetOf(envExampleKeys());
  }

  @Test
  void everyTemplateVariableIsPassedToTheAsteriskContainer() throws IOException {
    String compose = Repo.read(Repo.docker().resolve("docker-compose.yml"));
    int asterisk = compose.indexOf("\n  asterisk:\n");
    assertThat(asterisk).isNotNegative();
    String service = compose.substring(asterisk);
    int next = service.indexOf("\n\n", 1);
    String asteriskService = next < 0 ? service : service.substring(0, next);
    assertThat(templateReferences()).filteredOn(name -> !asteriskService.contains("\n      " + name + ": "))
        .as("template variables the asterisk service's environment does not set")
        .isEmpty();
  }
}
