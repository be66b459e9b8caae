package io.asterline.recording;

import java.io.IOException;
import java.nio.file.Path;

/** Turns a recording into text. */
public interface Transcriber {

  /** The text of a recording and how many uploads it took. */
  record Transcript(String text, int parts) {}

  /**
   * Transcribes {@code audio}, uploaded as {@code fileName}; {@code language} is an ISO-639-1 hint or null.
   * {@code beforeUpload} runs before each upload (the worker renews its lease there).
   */
  Transcript transcribe(Path audio, String fileName, String language, Runnable beforeUpload)
      throws IOException, InterruptedException;
}
