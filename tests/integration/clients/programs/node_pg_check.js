// node_pg_check.js — exercises node-pg (npm `pg`) against a server given by PGHOST/PGPORT/PGUSER/PGDATABASE.
// Prints one JSON object with what it observed; the pytest side compares it with a plain PostgreSQL's.
// Covers: unnamed parameterized queries (Parse without types / Bind / Describe portal / Execute / Sync),
// named prepared statements reused, a transaction with ROLLBACK after an error, rowMode 'array'.
const { Client } = require('pg');

async function main() {
  const client = new Client();
  await client.connect();
  const out = {};
  const q = '[0.5,0.25,0.75,0.1]';
  out.point = (await client.query('SELECT id, name FROM nodepg WHERE id = $1', [7])).rows;
  out.knn = (await client.query(
    'SELECT id, embedding <-> $1 AS d FROM nodepg WHERE category = $2 ORDER BY embedding <-> $1 LIMIT $3',
    [q, 2, 4])).rows;
  out.agg = (await client.query('SELECT category, count(*) AS n, sum(id) AS s FROM nodepg ' +
                                'GROUP BY category ORDER BY category')).rows;
  out.named = [];
  for (const id of [3, 11, 19]) {
    const r = await client.query({ name: 'by_id', text: 'SELECT id, name FROM nodepg WHERE id = $1', values: [id] });
    out.named.push(r.rows[0]);
  }
  out.array = (await client.query({ text: 'SELECT id, category FROM nodepg WHERE id IN ($1, $2) ORDER BY id',
                                    values: [1, 2], rowMode: 'array' })).rows;
  await client.query('BEGIN');
  await client.query('UPDATE nodepg SET name = $1 WHERE id = $2', ['changed', 5]);
  try {
    await client.query('SELECT id / 0 FROM nodepg WHERE id = $1', [6]);
    out.error = null;
  } catch (e) {
    out.error = { code: e.code, message: e.message };
  }
  try {
    await client.query('SELECT 1');
    out.after_error = 'no error';
  } catch (e) {
    out.after_error = e.code;
  }
  await client.query('ROLLBACK');
  out.after_rollback = (await client.query('SELECT name FROM nodepg WHERE id = $1', [5])).rows;
  const ins = await client.query('INSERT INTO nodepg VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)',
                                 [100, 1, 'n100', '[1,0,0,0]', 101, 2, 'n101', '[0,1,0,0]']);
  out.inserted = ins.rowCount;
  out.count = (await client.query('SELECT count(*) AS n FROM nodepg')).rows;
  await client.end();
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
