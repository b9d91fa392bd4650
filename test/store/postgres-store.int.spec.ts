/** The store port's suite against the PostgreSQL adapter: a new database per test. */
import { storeSuite } from './store-suite.js';

storeSuite('postgres');
