// SVG files are imported as strings (webpack's asset/source; a raw loader in Jest).
declare module '*.svg' {
  const value: string;
  export default value;
}
