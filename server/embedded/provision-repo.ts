// The SQL that makes a fresh private MariaDB usable: the platform's user (on first start, as
// root, which then keeps only its socket login) and the database.
import type mysql from 'mysql2/promise';

export async function provisionServer(c: mysql.Connection, password: string): Promise<void> {
  const [[who]] = (await c.query('SELECT CURRENT_USER() AS u')) as unknown as [[{ u: string }]];
  if (who.u.startsWith('root@')) {
    await c.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', ['esl', '127.0.0.1', password]);
    // The test suite creates one database per test file, hence the global grant on this private server.
    await c.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', ['esl', '127.0.0.1']);
    await c.query("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket");
    await c.query("DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'");
  }
  await c.query('CREATE DATABASE IF NOT EXISTS esl CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
}
