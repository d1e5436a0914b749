DROP TABLE students;
