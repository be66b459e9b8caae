package io.asterline.report;

/**
 * A report that cannot run as asked: an unknown report, a parameter that does not parse or that the report
 * does not take, a report file that is not valid. The message names the report or parameter ({@link #field}).
 */
public final class ReportException extends RuntimeException {

  private final String field;
  private final boolean notFound;

  ReportException(String field, String message) {
    this(field, message, false);
  }

  private ReportException(String field, String message, boolean notFound) {
    super(message);
    this.field = field;
    this.notFound = notFound;
  }

  static ReportException unknown(String name, java.util.Collection<String> known) {
    return new ReportException("name", "no report named '" + name + "' (reports: " + String.join(", ", known) + ")",
        true);
  }

  /** The parameter at fault ({@code name} for the report itself). */
  public String field() {
    return field;
  }

  public boolean notFound() {
    return notFound;
  }
}
