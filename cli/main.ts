import { Command } from 'commander';

const program = new Command('fredlake')
  .description('Keeps the fred_daily dataset (S&P 500 and CPI from FRED) in a data lake.')
  .version('0.1.0');

await program.parseAsync(process.argv);
