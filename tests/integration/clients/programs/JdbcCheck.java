// JdbcCheck.java — exercises pgjdbc (Debian libpostgresql-jdbc-java) against jdbc:postgresql://127.0.0.1:PORT/postgres.
// Run as a single-file program: java -cp postgresql.jar JdbcCheck.java PORT. Prints "key=value" lines that the
// pytest side compares with a plain PostgreSQL's output. Covers: PreparedStatement reused past
// prepareThreshold (server-prepared, binary int4/int8 parameters and results), ?::vector parameters sent as
// varchar, a transaction with an error then rollback, batch inserts, metadata of a result set.
import java.sql.*;
import java.util.*;

public class JdbcCheck {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/postgres";
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        try (Connection c = DriverManager.getConnection(url, props)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name FROM nodepg WHERE id = ?")) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= 8; i++) {  // > prepareThreshold (5): becomes a named server statement
                    ps.setLong(1, i * 3);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) sb.append(rs.getLong(1)).append(':').append(rs.getString(2)).append(';');
                    }
                }
                System.out.println("point=" + sb);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, embedding <-> ?::vector AS d FROM nodepg WHERE category = ? ORDER BY embedding <-> ?::vector LIMIT ?")) {
                for (int round = 0; round < 7; round++) {
                    ps.setString(1, "[0.5,0.25,0.75,0.1]");
                    ps.setInt(2, round % 3);
                    ps.setString(3, "[0.5,0.25,0.75,0.1]");
                    ps.setInt(4, 3);
                    StringBuilder sb = new StringBuilder();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) sb.append(rs.getInt(1)).append('@').append(String.format("%.6f", rs.getDouble(2))).append(';');
                    }
                    System.out.println("knn" + round + "=" + sb);
                }
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT category, count(*), min(name) FROM nodepg GROUP BY category ORDER BY category")) {
                ResultSetMetaData md = rs.getMetaData();
                StringBuilder sb = new StringBuilder(md.getColumnCount() + ":" + md.getColumnName(2) + ":");
                while (rs.next()) sb.append(rs.getInt(1)).append('/').append(rs.getLong(2)).append('/').append(rs.getString(3)).append(';');
                System.out.println("agg=" + sb);
            }
            c.setAutoCommit(false);
            try (PreparedStatement fs = c.prepareStatement("SELECT id, name FROM nodepg WHERE id <= ? ORDER BY id")) {
                fs.setFetchSize(3);  // a cursor-style portal: Execute with max rows, PortalSuspended, Execute again
                fs.setLong(1, 20);
                StringBuilder sb = new StringBuilder();
                try (ResultSet rs = fs.executeQuery()) {
                    while (rs.next()) sb.append(rs.getLong(1)).append(',');
                }
                System.out.println("fetchsize=" + sb);
            }
            c.commit();
            try (PreparedStatement up = c.prepareStatement("UPDATE nodepg SET name = ? WHERE id = ?")) {
                up.setString(1, "jdbc");
                up.setLong(2, 4);
                System.out.println("updated=" + up.executeUpdate());
            }
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT id / 0 FROM nodepg WHERE id = 4");
                System.out.println("error=none");
            } catch (SQLException e) {
                System.out.println("error=" + e.getSQLState());
            }
            c.rollback();
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO nodepg VALUES (?, ?, ?, ?::vector)")) {
                for (int i = 200; i < 210; i++) {
                    ins.setLong(1, i);
                    ins.setInt(2, i % 3);
                    ins.setString(3, "j" + i);
                    ins.setString(4, "[" + i + ",0,0,1]");
                    ins.addBatch();
                }
                System.out.println("batch=" + Arrays.stream(ins.executeBatch()).sum());
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM nodepg")) {
                rs.next();
                System.out.println("count=" + rs.getLong(1));
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT name FROM nodepg WHERE id = 4")) {
                rs.next();
                System.out.println("name4=" + rs.getString(1));
            }
        }
    }
}
