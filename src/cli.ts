console.error('lore: not built yet');
process.exit(1);
