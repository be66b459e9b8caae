package io.asterline.did;

import io.asterline.phone.PhoneNumbers;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.did.DidRepository.Upsert;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes imported numbers: each new number is created, each of the tenant's existing numbers is moved to
 * the segment and trunk with its metadata merged, another tenant's number is left alone and reported.
 * A batch is one transaction, so an import that stops half-way leaves whole batches, never half of one.
 */
public final class DidImporter {

  /** One number to import; {@code where} locates it for messages ("line 7", "PN123..."). */
  public record Row(String where, String number, ObjectNode metadata, String statusIfNew) {}

  /** What an import did. */
  public record Summary(int created, int updated, int unchanged, int failed) {
    public int total() {
      return created + updated + unchanged + failed;
    }

    @Override
    public String toString() {
      return "created " + created + ", updated " + updated + ", unchanged " + unchanged + ", failed " + failed;
    }
  }

  /** Running counts across batches. */
  public static final class Tally {
    private int created;
    private int updated;
    private int unchanged;
    private int failed;

    void count(Upsert outcome) {
      switch (outcome) {
        case CREATED -> created++;
        case UPDATED -> updated++;
        case UNCHANGED -> unchanged++;
        case OTHER_TENANT -> failed++;
      }
    }

    public void failed() {
      failed++;
    }

    public Summary summary() {
      return new Summary(created, updated, unchanged, failed);
    }
  }

  private final DidRepository dids;
  private final String defaultCountryCode;

  public DidImporter(DidRepository dids, String defaultCountryCode) {
    this.dids = dids;
    this.defaultCountryCode = defaultCountryCode;
  }

  /** The E.164 form of an imported number; IllegalArgumentException naming it when it is none. */
  public String normalize(String number) {
    return PhoneNumbers.require(number, defaultCountryCode);
  }

  /**
   * Imports one batch into the tenant's {@code segment} on {@code trunk} (both already checked). Rows that
   * cannot be imported are counted as failed and described to {@code problems}; the others are written
   * together in one transaction.
   */
  public void importBatch(long tenantId, String segment, String trunk, List<Row> rows, Tally tally,
      Consumer<String> problems) {
    List<Row> valid = new ArrayList<>();
    List<DidRepository.Imported> numbers = new ArrayList<>();
    for (Row row : rows) {
      try {
        numbers.add(new DidRepository.Imported(normalize(row.number()), row.statusIfNew(), row.metadata()));
        valid.add(row);
      } catch (IllegalArgumentException e) {
        tally.failed();
        problems.accept(row.where() + ": " + e.getMessage());
      }
    }
    List<Upsert> outcomes = dids.upsertAll(tenantId, segment, trunk, numbers);
    // counted only after the commit, so a failed batch adds nothing to the summary
    for (int i = 0; i < outcomes.size(); i++) {
      tally.count(outcomes.get(i));
      if (outcomes.get(i) == Upsert.OTHER_TENANT) {
        problems.accept(valid.get(i).where() + ": " + numbers.get(i).number() + " belongs to another tenant;"
            + " left alone");
      }
    }
  }
}
