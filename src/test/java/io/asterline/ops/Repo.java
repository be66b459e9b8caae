package io.asterline.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files of this repository, found from the directory the tests run in (Maven runs them in the project root). */
final class Repo {

  private Repo() {}

  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("docker"))) {
        return p;
      }
    }
    throw new IllegalStateException("no pom.xml with a docker/ directory above " + dir);
  }

  static Path docker() {
    return root().resolve("docker");
  }

  static Path asteriskConfig() {
    return docker().resolve("asterisk");
  }

  /** The repository's dialplan directory, mounted into Asterisk at /etc/asterisk/asterline. */
  static Path dialplan() {
    return root().resolve("dialplan");
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
