/** The fuzz run: see test/helpers/fuzz/run.ts for what it sends and what it checks. */
import { defineFuzzRun } from '../helpers/fuzz/run';

defineFuzzRun();
