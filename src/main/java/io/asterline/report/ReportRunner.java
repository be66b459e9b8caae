package io.asterline.report;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.Param;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Runs a report through jOOQ in a read-only transaction with a statement timeout: a report reads, it can
 * never change data, and a heavy one cannot hold the database for ever.
 */
public final class ReportRunner {

  private final DSLContext dsl;
  private final Duration timeout;

  public ReportRunner(DSLContext dsl, Duration timeout) {
    this.dsl = dsl;
    this.timeout = timeout;
  }

  public Result<Record> run(Report report, ReportParams params) {
    params.checkTakenBy(report);
    ReportSql.Bound bound = ReportSql.translate(report.sql());
    List<Param<?>> bindings = new ArrayList<>();
    for (Report.Param p : bound.order()) {
      bindings.add(bind(p, params.value(p)));
    }
    return dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      t.execute("SET TRANSACTION READ ONLY");
      t.execute("SELECT set_config('statement_timeout', {0}, true)", DSL.val(timeout.toMillis() + "ms"));
      return t.resultQuery(bound.sql(), bindings.toArray()).fetch();
    });
  }

  private static Param<?> bind(Report.Param p, Object value) {
    return switch (p) {
      case TENANT -> DSL.val((Long) value, SQLDataType.BIGINT);
      case FROM, TO -> DSL.val((java.time.OffsetDateTime) value, SQLDataType.TIMESTAMPWITHTIMEZONE);
      case SEGMENT -> DSL.val((String) value, SQLDataType.VARCHAR);
    };
  }
}
