package io.asterline.doctor;

/**
 * The outcome of one check, printed as one line: the verdict, what was checked, and for anything but OK what to
 * do about it. Never carries a secret.
 */
public record Finding(Verdict verdict, String check, String detail) {

  /** FAIL alone makes the doctor exit 1: a WARN works with less, a SKIP was not checked (and says why). */
  public enum Verdict { OK, WARN, FAIL, SKIP }

  public static Finding ok(String check, String detail) {
    return new Finding(Verdict.OK, check, detail);
  }

  public static Finding warn(String check, String detail) {
    return new Finding(Verdict.WARN, check, detail);
  }

  public static Finding fail(String check, String detail) {
    return new Finding(Verdict.FAIL, check, detail);
  }

  public static Finding skip(String check, String detail) {
    return new Finding(Verdict.SKIP, check, detail);
  }

  public boolean failed() {
    return verdict == Verdict.FAIL;
  }

  /** {@code FAIL  ami login: ...}: the verdict padded so that the checks line up. */
  public String line() {
    return String.format("%-5s %s: %s", verdict, check, detail);
  }
}
