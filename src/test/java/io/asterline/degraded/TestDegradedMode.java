package io.asterline.degraded;

import io.asterline.config.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** A node's degraded mode for tests that do not look at it: its journal in a fresh temporary data directory. */
public final class TestDegradedMode {

  private TestDegradedMode() {}

  public static DegradedMode open() {
    try {
      return DegradedMode.open(Files.createTempDirectory("asterline-data"), 100_000_000, Json.mapper());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
