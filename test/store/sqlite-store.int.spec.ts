/** The store port's suite against the SQLite adapter: a new file per test. */
import { storeSuite } from './store-suite.js';

storeSuite('sqlite');
