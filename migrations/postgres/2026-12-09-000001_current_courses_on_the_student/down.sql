DROP TRIGGER students_current_courses_after_update ON enrolments;
DROP TRIGGER students_current_courses_after_delete ON enrolments;
DROP TRIGGER students_current_courses_after_insert ON enrolments;
DROP FUNCTION students_current_courses();
ALTER TABLE students DROP COLUMN current_courses;
