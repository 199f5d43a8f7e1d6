-- The extension loads, and its C++ boundary turns exceptions into clean SQL errors.
CREATE EXTENSION jadevector;
SELECT extname, extversion FROM pg_extension WHERE extname = 'jadevector';
