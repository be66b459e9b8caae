package io.asterline.did;

import java.io.PrintWriter;
import java.util.OptionalInt;

/**
 * The progress bar of an import. On a terminal it redraws one line; into a file or a pipe it writes one
 * line per step, so a log of the import stays readable.
 */
final class Progress {

  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean interactive;
  private int steps;
  private boolean lineOpen;

  Progress(PrintWriter out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  /** {@code done} of {@code total} when the total is known; a moving marker when it is not. */
  void show(int done, OptionalInt total, String detail) {
    String bar;
    if (total.isPresent() && total.getAsInt() > 0) {
      int filled = (int) ((long) WIDTH * Math.min(done, total.getAsInt()) / total.getAsInt());
      int percent = (int) (100L * Math.min(done, total.getAsInt()) / total.getAsInt());
      bar = "[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + String.format("%3d%%", percent)
          + " " + done + "/" + total.getAsInt();
    } else {
      int at = steps % (WIDTH - 2);
      bar = "[" + " ".repeat(at) + "<=>" + " ".repeat(WIDTH - 3 - at) + "] " + done;
    }
    steps++;
    if (interactive) {
      out.print("\r" + bar + " " + detail + "\u001b[K");
      lineOpen = true;
    } else {
      out.println(bar + " " + detail);
    }
    out.flush();
  }

  /** A message on its own line, under the bar. */
  void message(String text) {
    endLine();
    out.println(text);
    out.flush();
  }

  void endLine() {
    if (lineOpen) {
      out.println();
      lineOpen = false;
    }
  }
}
