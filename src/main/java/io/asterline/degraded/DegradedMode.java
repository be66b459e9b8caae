package io.asterline.degraded;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;

/**
 * What a node needs to carry calls through a database outage, shared by the FastAGI scripts and the AudioSocket
 * server: the node-local copy of tenants, DEGRADED calls and decisions, and the journal of the writes they owe the
 * database.
 */
public record DegradedMode(LocalCalls calls, Journal journal) implements AutoCloseable {

  /** The journal lives in {@code <data.dir>/journal}. */
  public static DegradedMode open(Path dataDir, long journalMaxBytes, ObjectMapper json) {
    return new DegradedMode(new LocalCalls(), Journal.open(dataDir.resolve("journal"), journalMaxBytes, json));
  }

  @Override
  public void close() {
    journal.close();
  }
}
