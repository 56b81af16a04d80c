// localeCompare and Intl.Collator order strings as Node (ICU) does for Latin text.
const words = ['b', 'a', 'B', 'A', 'é', 'e', 'résumé', 'resume', 'Résumé', 'co-op', 'coop', 'co op', 'Zebra', 'zèbre', 'apple', 'Äpfel', 'straße', 'strasse', 'Øre', 'ore', 'łódź', 'lodz', 'file10', 'file2', 'file1', '_x', '-x', '#1', '$5', 'α', 'ж', '中', 'ǅ', 'ﬁ', 'fi', 'ß', 'ss', 'Æ', 'ae'];
console.log(words.slice().sort((x, y) => x.localeCompare(y)).join(' '));
console.log(words.slice().sort(new Intl.Collator('en', { numeric: true }).compare).join(' '));
console.log(words.slice().sort(new Intl.Collator('en', { caseFirst: 'upper' }).compare).join(' '));
const equal = (options, a, b) => new Intl.Collator('en', options).compare(a, b) === 0;
console.log(equal({ sensitivity: 'base' }, 'a', 'Á'), equal({ sensitivity: 'accent' }, 'a', 'A'), equal({ sensitivity: 'accent' }, 'a', 'á'), equal({ sensitivity: 'case' }, 'a', 'á'), equal({ sensitivity: 'case' }, 'a', 'A'), equal({ ignorePunctuation: true }, 'co-op', 'coop'));
console.log('a'.localeCompare('B'), 'file10'.localeCompare('file9', undefined, { numeric: true }), 'ä'.localeCompare('a', 'en', { sensitivity: 'base' }), JSON.stringify(new Intl.Collator().resolvedOptions()));
